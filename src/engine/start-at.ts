/**
 * --start-at-task NAME as ansible-core 2.14 matches it (its play iterator): a task's name, or its
 * "role : name", equal to NAME or matching it as a shell glob; and the message ansible prints when
 * no task matched.
 */
import { globToRegex } from '../inventory/index.js';
import type { TaskNode } from './model.js';

/** ansible's Task.get_name(): the role first, then the name or else the action. */
export function ansibleName(t: TaskNode): string {
  const own = t.name || (t.written ?? t.action);
  return t.inherit.role ? `${t.inherit.role.name} : ${own}` : own;
}

/**
 * --start-at-task NAME: the task's name or its "role : name" equals NAME or matches it as a
 * shell glob (ansible's fnmatch), after --tags/--skip-tags.
 */
export function startAtMatcher(pattern: string): (t: TaskNode) => boolean {
  const glob = new RegExp(`^${globToRegex(pattern)}$`, 's');
  return (t) => {
    const full = ansibleName(t);
    return t.name === pattern || (t.name !== '' && glob.test(t.name)) || full === pattern || glob.test(full);
  };
}

/** What ansible prints on stderr when no task matched --start-at-task (the run itself exits 0, as ansible's). */
export function noMatchingTask(pattern: string): string {
  const msg = `No matching task "${pattern}" found. Note: --start-at-task can only follow static includes.`;
  return `${pyWrap(`\n[ERROR]: ${msg}`, 79).join('\n')}\n`;
}

// Python textwrap's chunks: runs of whitespace, and words, hyphenated words split after a hyphen
// between letters (so "--start-at-task" may wrap as "--start-" / "at-task").
const LT = '[\\p{L}_]';
const WP = `[\\p{L}\\p{N}_!"'&.,?]`;
const CHUNK = new RegExp(
  `(\\s+|(?<=${WP})-{2,}(?=\\w)|\\S+?(?:-(?:(?<=${LT}{2}-)|(?<=${LT}-${LT}-))(?=${LT}-?${LT})|(?=\\s|$)|(?<=${WP})(?=-{2,}\\w)))`,
  'u',
);

/** textwrap.wrap(text, width) as Python 3.11 does it (ansible's Display.error wraps at 79 off a terminal). */
export function pyWrap(text: string, width: number): string[] {
  const chunks = expandTabs(text)
    .replace(/\s/g, ' ')
    .split(CHUNK)
    .filter((c) => c !== '')
    .reverse();
  const lines: string[] = [];
  while (chunks.length) {
    // Whitespace that would start a line is dropped, except before the first one.
    if (lines.length && chunks[chunks.length - 1].trim() === '') chunks.pop();
    const line: string[] = [];
    let len = 0;
    while (chunks.length && len + chunks[chunks.length - 1].length <= width) len += pushed(line, chunks.pop()!);
    if (chunks.length && chunks[chunks.length - 1].length > width) breakLongWord(chunks, line, width - len);
    if (line.length && line[line.length - 1].trim() === '') line.pop();
    if (line.length) lines.push(line.join(''));
  }
  return lines;
}

/** str.expandtabs(): a tab moves to the next multiple of 8 columns. */
function expandTabs(text: string): string {
  return text
    .split('\n')
    .map((l) => l.split('\t').reduce((acc, part, i) => (i ? acc + ' '.repeat(8 - (acc.length % 8)) : acc) + part, ''))
    .join('\n');
}

function pushed(line: string[], chunk: string): number {
  line.push(chunk);
  return chunk.length;
}

/** A word longer than a line is cut, after its last hyphen that fits when there is one. */
function breakLongWord(chunks: string[], line: string[], room: number): void {
  const word = chunks[chunks.length - 1];
  const hyphen = word.lastIndexOf('-', room - 1);
  const end = hyphen > 0 && /[^-]/.test(word.slice(0, hyphen)) ? hyphen + 1 : room;
  line.push(word.slice(0, end));
  chunks[chunks.length - 1] = word.slice(end);
}
