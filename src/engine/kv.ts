/**
 * ansible's `key=value` argument strings (`debug: msg="hi there" verbosity=1`,
 * `command: ls -l chdir=/tmp`): split on spaces outside quotes and `{{ }}` / `{% %}`.
 */

/**
 * Splits on whitespace, keeping quoted parts and Jinja blocks together; `open` when a quote or a
 * block is still open at the end (ansible refuses such a line: "unbalanced jinja2 block or quotes").
 */
export function splitArgs(text: string): { tokens: string[]; open: boolean } {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%')) depth++;
    if (!quote && depth > 0 && (two === '}}' || two === '%}')) depth--;
    if (quote) {
      if (c === quote && text[i - 1] !== '\\') quote = '';
    } else if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
    } else if (/\s/.test(c) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur) out.push(cur);
  return { tokens: out, open: quote !== '' || depth > 0 };
}

const unquote = (v: string) =>
  v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0]) ? v.slice(1, -1) : v;

export interface ParsedKv {
  args: Record<string, unknown>;
  /** Tokens that are not key=value, joined back (command lines). */
  free: string;
  /** A quote or a Jinja block left open. */
  unbalanced: boolean;
}

/**
 * Parses a free-form argument string. With `onlyKeys`, only those keys are taken out of the text
 * (command/shell: the rest is the command line, as in ansible's `check_raw`).
 */
export function parseKv(text: string, onlyKeys?: readonly string[]): ParsedKv {
  const args: Record<string, unknown> = {};
  const free: string[] = [];
  const { tokens, open } = splitArgs(text);
  for (const tok of tokens) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(tok);
    if (m && (!onlyKeys || onlyKeys.includes(m[1]))) args[m[1]] = unquote(m[2]);
    else free.push(tok);
  }
  return { args, free: free.join(' '), unbalanced: open };
}
