/**
 * `--diff` text the way ansible-core 2.14's default callback writes it (CallbackBase._get_diff):
 * a module result's `diff` is one mapping or a list of them, each with before/after (strings, or
 * mappings shown as sorted pretty JSON), optional before_header/after_header, or `prepared` text.
 * Only changed results show their diff, printed before the result line.
 */
import { splitLines, unifiedDiff } from './difflib.js';
import { pyJsonDumps } from '../template/python.js';

/** ansible's DIFF_CONTEXT default. */
const CONTEXT = 3;
const NO_NEWLINE = '\n\\ No newline at end of file\n';

/** One rendered line and how to colour it (ansible: + green, - red, @@ cyan). */
export interface DiffLine {
  text: string;
  kind: 'add' | 'remove' | 'hunk' | 'plain';
}

/** json.dumps(v, sort_keys=True, indent=4, separators=(',', ': ')): ASCII-only, as Python writes it. */
export function pyPrettyJson(v: unknown): string {
  return pyJsonDumps(v, { sortKeys: true, indent: 4 });
}

/** A side of the diff as text: mappings (and, beyond ansible, lists) as pretty JSON, null as nothing. */
function side(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return `${pyPrettyJson(v)}\n`;
  return String(v);
}

function lines(text: string): string[] {
  const out = splitLines(text);
  if (out.length && !out[out.length - 1].endsWith('\n')) out[out.length - 1] += NO_NEWLINE;
  return out;
}

const SKIPPED: [string, (v: unknown) => string][] = [
  ['dst_binary', () => 'diff skipped: destination file appears to be binary\n'],
  ['src_binary', () => 'diff skipped: source file appears to be binary\n'],
  ['dst_larger', (v) => `diff skipped: destination file size is greater than ${String(v)}\n`],
  ['src_larger', (v) => `diff skipped: source file size is greater than ${String(v)}\n`],
];

function renderOne(d: Record<string, unknown>): DiffLine[] {
  const out: DiffLine[] = [];
  for (const [key, msg] of SKIPPED) if (key in d) out.push({ text: msg(d[key]), kind: 'plain' });
  if ('before' in d && 'after' in d) {
    const from = 'before_header' in d ? `before: ${String(d.before_header)}` : 'before';
    const to = 'after_header' in d ? `after: ${String(d.after_header)}` : 'after';
    const diff = unifiedDiff(lines(side(d.before)), lines(side(d.after)), from, to, CONTEXT);
    for (const text of diff)
      out.push({
        text,
        kind: text.startsWith('+') ? 'add' : text.startsWith('-') ? 'remove' : text.startsWith('@@') ? 'hunk' : 'plain',
      });
    if (diff.length) out.push({ text: '\n', kind: 'plain' });
  }
  if ('prepared' in d) out.push({ text: String(d.prepared), kind: 'plain' });
  return out;
}

/** The lines to print for a result's `diff` value; empty when there is nothing to show. */
export function renderDiff(diff: unknown): DiffLine[] {
  const list = Array.isArray(diff) ? diff : [diff];
  return list.flatMap((d) =>
    d && typeof d === 'object' && !Array.isArray(d) ? renderOne(d as Record<string, unknown>) : [],
  );
}

/** ansible shows a result's diff only when the result changed and carries a non-empty `diff`. */
export function diffToShow(r: Record<string, unknown>): DiffLine[] {
  if (r.changed !== true || !nonEmpty(r.diff)) return [];
  return renderDiff(r.diff);
}

function nonEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}
