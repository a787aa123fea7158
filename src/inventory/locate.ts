/**
 * Where a variable of a host is written, for a message: the inventory entry or the vars file.
 * Apart from device-ids.ts so that the inventory model can use it without an import circle.
 */
import type { Where } from '../errors/index.js';
import { DEVICE_ID_VAR } from './device-id.js';
import type { EntryRef } from './build.js';
import type { VarLayer } from './types.js';
import { readYamlFile, whereIn } from './yaml-file.js';

/**
 * The position of a variable (mender_device_id unless named) in the layer's source: an entry of an
 * inventory file (source "FILE (host)" / "FILE (group G)") or a vars file. Parsed again here: only
 * errors need positions.
 */
export function locate(layer: VarLayer, refs: EntryRef[], under: string[], name = DEVICE_ID_VAR): Where {
  const inFile = / \((host|group .*)\)$/.exec(layer.source);
  if (!inFile) {
    const f = readYamlFile(layer.source);
    return f.ok ? whereIn(f.value, [name]) : { file: layer.source };
  }
  const file = layer.source.slice(0, inFile.index);
  const ref = refs.filter((r) => r.file.path === file).pop();
  return ref ? whereIn(ref.file, [...ref.path, ...under, name]) : { file };
}
