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

const positions = new WeakMap<object, Pos>();
const keyLines = new WeakMap<object, Record<string, number>>();

/** Where a mapping or sequence read by `readYaml` starts. */
export function posOf(value: unknown): Pos | undefined {
  return value && typeof value === 'object' ? positions.get(value) : undefined;
}

/** Line of one key of a mapping read by `readYaml`. */
export function keyLine(value: object, key: string): number | undefined {
  return keyLines.get(value)?.[key];
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
    positions.set(out, at(node));
    keyLines.set(out, lines);
    return out;
  }
  if (isSeq(node)) {
    const out = node.items.map((i) => toJs(i as Node, doc, lc, file));
    positions.set(out, at(node));
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

const fileCache = new Map<string, Result<unknown>>();

/** Reads and parses a YAML file once per process (roles and includes are read many times). */
export function readYaml(file: string): Result<unknown> {
  const hit = fileCache.get(file);
  if (hit) return hit;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const r = err(
      fleetError('file.unreadable', `cannot read ${file}: ${(e as Error).message}`, {
        file,
        hint: 'check the path (relative paths are resolved from the playbook or role directory)',
      }),
    );
    return r;
  }
  const r = parseYaml(text, file);
  fileCache.set(file, r);
  return r;
}

/** Tests reuse temp paths; let them start clean. */
export function clearYamlCache(): void {
  fileCache.clear();
}

export type { FleetError };
