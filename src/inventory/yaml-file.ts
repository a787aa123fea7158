import { readFileSync } from 'node:fs';
import { Document, LineCounter, isMap, isScalar, parseDocument, type Node, type Tags, type YAMLMap } from 'yaml';
import { fleetError, type FleetError, type Result, type Where } from '../errors/index.js';

/** A parsed YAML file that can still say where each value came from. */
export interface YamlFile {
  path: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

const BOOL = 'tag:yaml.org,2002:bool';
const FLOAT = 'tag:yaml.org,2002:float';
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_FLOAT_EXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/;
const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;

/**
 * YAML 1.1 as PyYAML (and so ansible) resolves it, where it differs from the spec:
 * `y`/`n` stay strings, floats need a dot (`1e3` is a string), an exponent needs a sign,
 * and timestamps stay strings (ansible-inventory prints them as text).
 */
function pyyamlTags(tags: Tags): Tags {
  return tags
    .filter((t) => typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:timestamp')
    .map((t) => {
      if (typeof t !== 'object' || !('test' in t) || !t.test) return t;
      if (t.tag === BOOL) return { ...t, test: t.test.test('yes') ? PY_TRUE : PY_FALSE };
      if (t.tag === FLOAT && t.format === 'EXP') return { ...t, test: PY_FLOAT_EXP };
      if (t.tag === FLOAT && !t.format && !t.test.test('.nan')) return { ...t, test: PY_FLOAT };
      return t;
    });
}

/** Ansible reads YAML 1.1 (PyYAML): `yes`/`no` are booleans, `<<` merges. */
const PARSE_OPTIONS = { version: '1.1', uniqueKeys: true, merge: true, prettyErrors: false, customTags: pyyamlTags } as const;

export function readYamlFile(path: string): Result<YamlFile, FleetError[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, error: [fleetError('inventory.unreadable', `cannot read ${path}: ${(e as Error).message}`, { file: path })] };
  }
  return parseYaml(path, text);
}

export function parseYaml(path: string, text: string): Result<YamlFile, FleetError[]> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines });
  const file = { path, doc, lines };
  if (doc.errors.length === 0) return { ok: true, value: file };
  return { ok: false, error: doc.errors.map((e) => yamlError(file, e.code, e.message, e.pos[0])) };
}

function yamlError(file: YamlFile, code: string, message: string, offset: number): FleetError {
  const where = at(file, offset);
  if (code === 'DUPLICATE_KEY') {
    return fleetError('inventory.duplicate-key', 'duplicate key: YAML keeps only one of them', {
      ...where,
      hint: 'merge the two entries into one, or rename one of them',
    });
  }
  const first = message.split('\n')[0] ?? message;
  return fleetError('inventory.yaml-syntax', `YAML syntax error: ${first}`, {
    ...where,
    hint: 'check indentation (spaces, not tabs) and that every `key:` is followed by a space',
  });
}

export function at(file: YamlFile, offset: number): Where {
  const { line, col } = file.lines.linePos(offset);
  return { file: file.path, line, column: col };
}

export function whereNode(file: YamlFile, node: Node | null | undefined): Where {
  return node?.range ? at(file, node.range[0]) : { file: file.path };
}

/** The key node of `key` in `map`, to point errors at the key rather than its value. */
export function keyNode(map: YAMLMap, key: string): Node | undefined {
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key;
  }
  return undefined;
}

/** Position of the key at the end of `path` (a host entry, a group, a misplaced key). */
export function whereIn(file: YamlFile, path: readonly PropertyKey[]): Where {
  let node: unknown = file.doc.contents;
  let last: Node | undefined = node as Node | undefined;
  for (const seg of path) {
    if (!isMap(node)) break;
    const k = keyNode(node, String(seg));
    if (!k) break;
    last = k;
    node = node.get(String(seg), true);
  }
  return whereNode(file, last);
}
