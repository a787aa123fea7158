/**
 * The shell commands of a markdown file, for the README test. One style only: fenced blocks
 * marked `sh`. Every other fence must name a language that is not a shell (text, yaml, json),
 * and indented code blocks are refused, so a command cannot slip past the test by being written
 * another way.
 */

export interface Command {
  /** 1-based line of the README. */
  line: number;
  text: string;
}

export interface Extracted {
  commands: Command[];
  /** Each names the line and what to write instead. */
  problems: string[];
}

const SHELL_FENCE = 'sh';
const OTHER_FENCES = new Set(['text', 'yaml', 'json']);
const FENCE = /^(\s*)(```+|~~~+)\s*([^\s`]*)\s*$/;

/** Splits `file`'s text into sh-block command lines; `#` comment lines and blank lines are skipped. */
export function shellCommands(text: string, file = 'README.md'): Extracted {
  const lines = text.split('\n');
  const out: Extracted = { commands: [], problems: [] };
  let fence: { marker: string; lang: string } | undefined;
  lines.forEach((raw, i) => {
    const at = `${file}:${i + 1}`;
    const m = FENCE.exec(raw);
    if (fence) {
      if (m && m[2].startsWith(fence.marker) && m[3] === '') fence = undefined;
      else if (fence.lang === SHELL_FENCE) addCommand(out, raw, i + 1, at);
      return;
    }
    if (m) {
      fence = { marker: m[2], lang: m[3] };
      checkFence(out, m[3], at);
      return;
    }
    if (isIndentedCode(lines, i)) {
      out.problems.push(`${at}: indented code block; write commands in a \`\`\`sh block, other text in \`\`\`text`);
    }
  });
  if (fence) out.problems.push(`${file}: a \`\`\`${fence.lang} block is not closed; end it with \`\`\``);
  return out;
}

function checkFence(out: Extracted, lang: string, at: string): void {
  if (lang === SHELL_FENCE || OTHER_FENCES.has(lang)) return;
  const instead = lang === '' ? 'name the language' : `write \`\`\`${SHELL_FENCE} for commands`;
  out.problems.push(
    `${at}: fenced block "${lang || '(none)'}": ${instead} (\`\`\`sh, or ${[...OTHER_FENCES].join('/')} for what is not run)`,
  );
}

function addCommand(out: Extracted, raw: string, line: number, at: string): void {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return;
  // One command a line keeps the "run or explained" bookkeeping exact.
  if (text.endsWith('\\')) out.problems.push(`${at}: continued line; write the command on one line`);
  out.commands.push({ line, text });
}

/** A line indented 4+ spaces (or a tab) after a blank line, outside a list item: CommonMark's indented code. */
function isIndentedCode(lines: string[], i: number): boolean {
  if (!/^( {4}|\t)\S/.test(lines[i])) return false;
  let j = i - 1;
  while (j >= 0 && /^( {4}|\t)/.test(lines[j])) j--;
  if (j < 0 || lines[j].trim() !== '') return false;
  // Continuation of a list item: the last unindented line above is a list marker or its text.
  for (let k = j; k >= 0; k--) {
    if (lines[k].trim() === '') continue;
    if (/^\s*([-*+]|\d+\.)\s/.test(lines[k])) return false;
    if (!/^\s/.test(lines[k])) return true;
  }
  return true;
}
