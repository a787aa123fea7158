/**
 * YAML reading with source positions. Ansible files are YAML 1.1 (yes/no are booleans);
 * every mapping keeps the line it starts on so errors can name the task's file and line.
 */
import { readFileSync } from 'node:fs';
import {
  LineCounter,
  parseDocument,
  isMap,
  isSeq,
  isScalar,
  isAlias,
  type Node,
  type Document,
  type Scalar,
} from 'yaml';
import { fleetError, type FleetError, type Result, ok, err } from '../errors/index.js';
import { resolvePlain } from '../yaml/pyyaml.js';

export interface Pos {
  file: string;
  line: number;
  column: number;
}

// Positions travel with the values they describe (hidden properties, not module-global maps):
// a copy of a value has none, as ansible's copies lose their ansible_pos.
const POS = Symbol('yaml.pos');
const KEY_LINES = Symbol('yaml.keyLines');
interface Located {
  [POS]?: Pos;
  [KEY_LINES]?: Record<string, number>;
}

function locate(value: object, pos: Pos, keyLines?: Record<string, number>): void {
  Object.defineProperty(value, POS, { value: pos });
  if (keyLines) Object.defineProperty(value, KEY_LINES, { value: keyLines });
}

/** Where a mapping or sequence read by `parseYaml` starts. */
export function posOf(value: unknown): Pos | undefined {
  return value && typeof value === 'object' ? (value as Located)[POS] : undefined;
}

/** Line of one key of a mapping read by `parseYaml`. */
export function keyLine(value: object, key: string): number | undefined {
  return (value as Located)[KEY_LINES]?.[key];
}

/**
 * An untagged plain scalar takes PyYAML's type (the inventory's rules, src/yaml/pyyaml.ts), not the
 * `yaml` package's YAML 1.1 one: `1e3` stays a string, `y` too, a date is its ISO text.
 */
function scalar(node: Scalar): unknown {
  if (node.type !== 'PLAIN' || node.tag !== undefined) return node.value;
  if (typeof node.value === 'string') return resolvePlain(node.value);
  return resolvePlain((node.srcToken as { source?: string } | undefined)?.source ?? '');
}

function toJs(node: Node | null | undefined, doc: Document, lc: LineCounter, file: string): unknown {
  if (!node) return null;
  if (isAlias(node)) return toJs(node.resolve(doc), doc, lc, file);
  const at = (n: Node) => {
    const p = lc.linePos(n.range?.[0] ?? 0);
    return { file, line: p.line, column: p.col };
  };
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const lines: Record<string, number> = {};
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(scalar(pair.key)) : String(pair.key);
      if (k === '<<') {
        Object.assign(out, toJs(pair.value as Node, doc, lc, file));
        continue;
      }
      out[k] = toJs(pair.value as Node, doc, lc, file);
      if (pair.key && typeof pair.key === 'object') lines[k] = at(pair.key as Node).line;
    }
    locate(out, at(node), lines);
    return out;
  }
  if (isSeq(node)) {
    const out = node.items.map((i) => toJs(i as Node, doc, lc, file));
    locate(out, at(node));
    return out;
  }
  if (isScalar(node)) return scalar(node);
  return null;
}

/** Parses YAML text; errors carry file, line and column. */
export function parseYaml(text: string, file: string): Result<unknown> {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    version: '1.1',
    uniqueKeys: true,
    merge: true,
    keepSourceTokens: true,
  });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const p = lc.linePos(e.pos[0]);
    return err(
      fleetError('yaml.syntax', e.message.split('\n')[0], {
        file,
        line: p.line,
        column: p.col,
        hint: 'fix the YAML syntax (indentation, quotes around values with ": " or "{{")',
      }),
    );
  }
  return ok(toJs(doc.contents as Node, doc, lc, file));
}

/**
 * Reads and parses YAML files once per reader: one load of a playbook (roles and includes read the
 * same files many times). Each load has its own, so a later run sees edited files.
 */
export class YamlReader {
  private readonly cache = new Map<string, Result<unknown>>();

  read(file: string): Result<unknown> {
    const hit = this.cache.get(file);
    if (hit) return hit;
    const r = readAndParse(file);
    this.cache.set(file, r);
    return r;
  }
}

function readAndParse(file: string): Result<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return err(
      fleetError('file.unreadable', `cannot read ${file}: ${(e as Error).message}`, {
        file,
        hint: 'check the path (relative paths are resolved from the playbook or role directory)',
      }),
    );
  }
  return parseYaml(text, file);
}

export type { FleetError };
