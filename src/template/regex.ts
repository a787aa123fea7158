/** Python `re` patterns and replacements, translated to JS RegExp (the subset fleet repos use). */

const cache = new Map<string, RegExp>();

/** Compiles a Python pattern: (?P<n>..) groups, (?P=n) back-references, \A \Z, leading (?imsx) flags. */
export function pyRegex(
  pattern: string,
  flags = '',
  extra: { ignorecase?: unknown; multiline?: unknown } = {},
): RegExp {
  let f = flags;
  if (extra.ignorecase) f += 'i';
  if (extra.multiline) f += 'm';
  const key = `${f}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return new RegExp(hit); // a fresh lastIndex for global patterns
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const c of inline[1]) if ('ims'.includes(c) && !f.includes(c)) f += c;
  }
  src = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  const re = new RegExp(src, [...new Set(f)].join(''));
  cache.set(key, re);
  return new RegExp(re);
}

/** Python replacement template (\1, \g<1>, \g<name>) → JS ($1, $<name>), escaping literal $. */
export function pyReplacement(rep: string): string {
  return rep
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d{1,2})/g, '$$$1')
    .replace(/\\\\/g, '\\');
}
