import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fleetError, type FleetError } from '../errors/index.js';
import { VarsSchema } from './schema.js';
import type { VarLayer } from './types.js';
import { readYamlFile, whereNode } from './yaml-file.js';

/** Extensions ansible tries after the bare name, in this order (the first that exists wins). */
const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

/**
 * The group_vars/ or host_vars/ directory of one base directory, listed once so that
 * 100k hosts cost one readdir rather than 400k stat calls.
 */
export interface VarsDir {
  dir: string;
  /** entity name → layers (one per file, in ansible's load order). */
  layers: Map<string, VarLayer[]>;
  /** entity names that have files here. */
  names: Set<string>;
}

export function readVarsDir(dir: string, errors: FleetError[]): VarsDir {
  const found = new Map<string, string[]>();
  for (const entry of listDir(dir)) {
    const ext = EXTENSIONS.find((e) => e !== '' && entry.endsWith(e)) ?? '';
    const name = ext ? entry.slice(0, -ext.length) : entry;
    const files = found.get(name) ?? [];
    files.push(entry);
    found.set(name, files);
  }
  const layers = new Map<string, VarLayer[]>();
  for (const [name, entries] of found) {
    const chosen = EXTENSIONS.map((e) => name + e).find((e) => entries.includes(e));
    if (!chosen) continue;
    const paths = varsFilesOf(join(dir, chosen));
    const loaded = paths.map((p) => loadVarsFile(p, errors)).filter((l): l is VarLayer => l !== undefined);
    layers.set(name, loaded);
  }
  return { dir, layers, names: new Set(found.keys()) };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((e) => !e.startsWith('.'));
  } catch {
    return [];
  }
}

/** A file, or every vars file under a directory (sorted, recursive), as ansible's loader finds them. */
function varsFilesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = join(path, entry);
    const ext = extname(entry);
    const isDir = statSync(full).isDirectory();
    if (isDir && !ext) out.push(...varsFilesOf(full));
    else if (!isDir && (!ext || EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

/** One vars file: a mapping of variables, or empty. */
function loadVarsFile(path: string, errors: FleetError[]): VarLayer | undefined {
  const parsed = readYamlFile(path);
  if (!parsed.ok) {
    errors.push(...parsed.error);
    return undefined;
  }
  const data = parsed.value.data;
  if (data === null || data === undefined) return undefined; // empty or comments only
  const vars = VarsSchema.safeParse(Array.isArray(data) ? undefined : data);
  if (!vars.success) {
    const { doc } = parsed.value;
    errors.push(
      fleetError('inventory.vars-not-mapping', 'a vars file must be a mapping of variable names to values', {
        ...whereNode(parsed.value, doc.contents),
        hint: 'write `name: value` lines at the top level, e.g. `kiosk_enabled: true`',
      }),
    );
    return undefined;
  }
  return Object.keys(vars.data).length ? { source: path, vars: vars.data } : undefined;
}
