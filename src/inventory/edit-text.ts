import { isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { keyNode, type YamlFile } from './yaml-file.js';

/**
 * Line surgery on an inventory file. Edits cut and insert whole lines found through the
 * YAML node ranges, so comments, key order and blank lines elsewhere stay byte for byte.
 */
export interface Span {
  /** First line (0-based) and the line after the last. */
  start: number;
  end: number;
}

export interface Insert {
  /** Insert before this line (0-based). */
  at: number;
  lines: string[];
}

export function lineIndex(file: YamlFile, offset: number): number {
  return file.lines.linePos(offset).line - 1;
}

export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The map at `path` (or null when the key is there with no value, undefined when missing). */
export function mapAt(file: YamlFile, path: readonly string[]): YAMLMap | null | undefined {
  let node: unknown = file.doc.contents;
  for (const seg of path) {
    if (!isMap(node) || !keyNode(node, seg)) return undefined;
    node = node.get(seg, true);
  }
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return null;
  return isMap(node) ? node : undefined;
}

/** The key/value pair `key` of `map`. */
export function pairOf(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as Pair<Node, Node | null> | undefined;
}

/** Lines of one map entry: its key line (with the comment on it) through the end of its value. */
export function pairSpan(file: YamlFile, pair: Pair<Node, Node | null>): Span {
  const start = lineIndex(file, pair.key.range![0]);
  const ends = [pair.key.range![1]];
  const v = pair.value;
  if (v?.range && !(isScalar(v) && v.value === null)) ends.push(v.range[1]);
  const endOffset = Math.max(...ends);
  let end = lineIndex(file, Math.max(endOffset - 1, pair.key.range![0])) + 1;
  if (isScalar(v) && v.value === null) end = start + 1;
  return { start, end };
}

/** Shifts an entry's lines from one indentation to another. */
export function reindent(lines: string[], from: number, to: number): string[] {
  return lines.map((l) => {
    if (l.trim() === '') return l;
    return to >= from ? ' '.repeat(to - from) + l : l.slice(Math.min(from - to, indentOf(l)));
  });
}

/** Applies non-overlapping cuts and inserts to the text's lines. */
export function applyLines(text: string, cuts: Span[], inserts: Insert[]): string {
  const lines = text.split('\n');
  const ops = [
    ...cuts.map((c) => ({ at: c.start, run: () => lines.splice(c.start, c.end - c.start) })),
    ...inserts.map((i) => ({ at: i.at, run: () => lines.splice(i.at, 0, ...i.lines) })),
  ];
  // Later positions first so earlier line numbers stay valid; at equal positions insert after cutting.
  ops.sort((a, b) => b.at - a.at);
  for (const op of ops) op.run();
  return lines.join('\n');
}
