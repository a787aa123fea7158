/**
 * Source fixes applied once per distinct template before nunjucks parses it, where Jinja2 (as
 * ansible-core drives it) reads a template differently from nunjucks:
 *  - `}}` closing nested dict literals (`combine({'a': {'b': 1}})`) ends a nunjucks expression
 *    early; Jinja balances brackets, so we split it into `} }`;
 *  - ansible's Templar doubles backslashes in string literals inside expressions
 *    (escape_backslashes=True), so `regex_replace('(\d+)', '\1')` means what it says;
 *  - collection prefixes on filters and tests (`| ansible.builtin.to_json`) are dropped.
 */
import { TEMPLATE_COLLECTIONS } from '../plugins/fqcn.js';

const PREFIXED = new RegExp(
  `(\\|\\s*|\\bis\\s+(?:not\\s+)?)(?:${TEMPLATE_COLLECTIONS.map((n) => n.replace(/\./g, '\\.')).join('|')})`,
  'g',
);
const OPEN = /\{\{|\{%|\{#/g;

export function preprocess(src: string, escapeBackslashes: boolean): string {
  let out = '';
  let i = 0;
  OPEN.lastIndex = 0;
  for (let m = OPEN.exec(src); m; m = OPEN.exec(src)) {
    if (m.index < i) continue;
    out += src.slice(i, m.index);
    if (m[0] === '{#') {
      const end = src.indexOf('#}', m.index + 2);
      i = end < 0 ? src.length : end + 2;
      out += src.slice(m.index, i);
    } else if (/^\{%-?\s*raw\s*-?%\}/.test(src.slice(m.index))) {
      const end = /\{%-?\s*endraw\s*-?%\}/.exec(src.slice(m.index));
      i = end ? m.index + end.index + end[0].length : src.length;
      out += src.slice(m.index, i);
    } else {
      const [code, next] = scanExpression(src, m.index + 2, m[0] === '{{' ? '}}' : '%}', escapeBackslashes);
      out += m[0] + code.replace(PREFIXED, '$1');
      i = next;
    }
    OPEN.lastIndex = i;
  }
  return out + src.slice(i);
}

/** Copies one `{{ ... }}` / `{% ... %}` body (with its closing delimiter); returns it and where it ended. */
function scanExpression(src: string, start: number, close: string, escapeBackslashes: boolean): [string, number] {
  let out = '';
  let depth = 0;
  let i = start;
  while (i < src.length) {
    const c = src[i];
    if (depth === 0 && src.startsWith(close, i)) return [out + close, i + close.length];
    if (depth === 0 && (src.startsWith('-' + close, i) || src.startsWith('+' + close, i)))
      return [out + c + close, i + 1 + close.length];
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      const stop = end < 0 ? src.length : end + 1;
      const body = src.slice(i, stop);
      out += escapeBackslashes ? body.replace(/\\/g, '\\\\') : body;
      i = stop;
      continue;
    }
    if ('{[('.includes(c)) depth++;
    if ('}])'.includes(c) && depth > 0) {
      depth--;
      out += c;
      i++;
      if (c === '}' && src[i] === '}') out += ' '; // keep nunjucks from reading `}}` as the end
      continue;
    }
    out += c;
    i++;
  }
  return [out, i];
}

const NOT_SHAPEABLE = /\{%|\{#|\{\{[-+]|[-+]\}\}|\u0001/;

/**
 * A template made only of text and `{{ }}` (no blocks, no whitespace control), with each text run
 * replaced by a numbered placeholder. Templates that differ only in their text (a URL unique to
 * each host) then share one compiled shape; the texts are passed in at render time.
 */
export function splitText(src: string): { shape: string; texts: string[] } | undefined {
  if (NOT_SHAPEABLE.test(src)) return undefined;
  const texts: string[] = [];
  let shape = '';
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    const end = open < 0 ? src.length : open;
    if (end > i) {
      shape += `\u0001${texts.length}\u0001`;
      texts.push(src.slice(i, end));
    }
    if (open < 0) break;
    const [code, next] = scanExpression(src, open + 2, '}}', false);
    shape += '{{' + code;
    i = next;
  }
  return texts.length ? { shape, texts } : undefined;
}

/** The placeholder splitText left for text run k. */
export const TEXT_PLACEHOLDER = /^\u0001(\d+)\u0001$/;
