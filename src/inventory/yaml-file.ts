import { readFileSync } from 'node:fs';
import { Document, LineCounter, isMap, isScalar, parseDocument, visit, type ErrorCode, type Node, type YAMLMap } from 'yaml';
import { fleetError, type FleetError, type Result, type Where } from '../errors/index.js';
import { loadValue } from '../yaml/pyyaml.js';

/** Ansible reads YAML 1.1; values come from pyyaml.ts, this parse is for positions only. */
const PARSE_OPTIONS = { version: '1.1', uniqueKeys: false, merge: true, prettyErrors: false } as const;

/**
 * A YAML file: its text and value (loaded fast), and on demand the `yaml` Document with
 * node positions, for error messages and editing.
 */
export class YamlFile {
  private located?: { doc: Document.Parsed; lines: LineCounter };

  constructor(
    readonly path: string,
    readonly text: string,
    readonly data: unknown,
  ) {}

  get doc(): Document.Parsed {
    return this.locate().doc;
  }

  get lines(): LineCounter {
    return this.locate().lines;
  }

  private locate(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.located) {
      const lines = new LineCounter();
      this.located = { doc: parseDocument(this.text, { ...PARSE_OPTIONS, lineCounter: lines }), lines };
    }
    return this.located;
  }
}

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
  const fast = loadValue(text);
  const file = new YamlFile(path, text, fast.ok ? fast.value : undefined);
  if (fast.ok) return { ok: true, value: file };
  // Invalid: the `yaml` parse locates the problem; js-yaml's own message if it finds nothing.
  const errors = file.doc.errors.map((e) => syntaxError(file, e.code, e.message, e.pos[0]));
  if (errors.length === 0) errors.push(...duplicateKeys(file));
  if (errors.length === 0) {
    errors.push(
      fleetError('inventory.yaml-syntax', `YAML error: ${fast.message}`, {
        file: path,
        line: fast.line,
        column: fast.column,
        hint: 'check indentation (spaces, not tabs) and that every `key:` is followed by a space',
      }),
    );
  }
  return { ok: false, error: errors };
}

const SYNTAX_HINTS: Partial<Record<ErrorCode, string>> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  MISSING_CHAR: 'add the closing quote or bracket that is missing',
  BAD_INDENT: 'line the key up with its siblings (same number of spaces)',
  MULTILINE_IMPLICIT_KEY: 'put a space after every `key:`, and quote values that contain `: `',
};

function syntaxError(file: YamlFile, code: ErrorCode, message: string, offset: number): FleetError {
  const first = message.split('\n')[0] ?? message;
  return fleetError('inventory.yaml-syntax', `YAML syntax error: ${first.replace(/ at line \d+, column \d+:?$/, '')}`, {
    ...at(file, offset),
    hint: SYNTAX_HINTS[/end with an? [\]}]/.test(first) ? 'MISSING_CHAR' : code] ?? 'check indentation (spaces, not tabs) and that every `key:` is followed by a space',
  });
}

/** Duplicate keys, pointing at the second one and naming the line of the first (yaml's own error points elsewhere). */
function duplicateKeys(file: YamlFile): FleetError[] {
  const errors: FleetError[] = [];
  visit(file.doc, {
    Map(_, map) {
      const seen = new Map<string, Node>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.value === '<<') continue;
        const key = String(pair.key.value);
        const first = seen.get(key);
        if (!first) {
          seen.set(key, pair.key);
          continue;
        }
        errors.push(
          fleetError('inventory.duplicate-key', `duplicate key "${key}" (first at line ${whereNode(file, first).line}): YAML would keep only the last one`, {
            ...whereNode(file, pair.key),
            hint: 'merge the two entries into one, or remove one of them',
          }),
        );
      }
    },
  });
  return errors;
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
