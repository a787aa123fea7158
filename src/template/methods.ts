/**
 * The Python str/list/dict methods fleet templates call (`url.startswith('https')`,
 * `vars.get('x', 1)`, `d.items()`), looked up when an attribute is not a key.
 */
import { kwargs } from './args.js';
import { isMapping, pyEq, pyStr, tuple } from './python.js';

type Method = (self: never, ...args: unknown[]) => unknown;

function pySplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = s.trimStart();
    while (rest !== '' && (maxsplit < 0 || out.length < maxsplit)) {
      const m = /^(\S+)\s*/.exec(rest)!;
      out.push(m[1]);
      rest = rest.slice(m[0].length);
    }
    if (rest !== '') out.push(rest); // Python keeps the remainder as it was
    return out;
  }
  const all = s.split(String(sep));
  if (maxsplit < 0 || all.length <= maxsplit + 1) return all;
  return [...all.slice(0, maxsplit), all.slice(maxsplit).join(String(sep))];
}

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === null || chars === undefined) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = new Set([...String(chars)]);
  let a = 0;
  let b = s.length;
  while (left && a < b && set.has(s[a])) a++;
  while (right && b > a && set.has(s[b - 1])) b--;
  return s.slice(a, b);
}

/** str.format with {} / {0} / {name} fields (no format specs beyond plain fields). */
function pyFormat(s: string, ...raw: unknown[]): string {
  const { pos, kw } = kwargs(raw);
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const name = (field ?? '').split(/[:!]/)[0];
    const v = name === '' ? pos[auto++] : /^\d+$/.test(name) ? pos[Number(name)] : kw[name];
    return pyStr(v);
  });
}

const startsOrEnds = (fn: 'startsWith' | 'endsWith') => (s: string, x: unknown) =>
  (Array.isArray(x) ? x : [x]).some((p) => s[fn](String(p)));

const STR: Record<string, Method> = {
  startswith: startsOrEnds('startsWith'),
  endswith: startsOrEnds('endsWith'),
  split: ((s: string, sep?: unknown, max?: number) => pySplit(s, sep, max ?? -1)) as Method,
  strip: (s: string, c?: unknown) => stripChars(s, c, true, true),
  lstrip: (s: string, c?: unknown) => stripChars(s, c, true, false),
  rstrip: (s: string, c?: unknown) => stripChars(s, c, false, true),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  capitalize: (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  title: (s: string) => s.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase()),
  replace: ((s: string, a: unknown, b: unknown, n?: number) => {
    if (n === undefined || n < 0) return s.split(String(a)).join(String(b));
    const parts = s.split(String(a));
    return (
      parts.slice(0, n + 1).join(String(b)) +
      (parts.length > n + 1 ? String(a) + parts.slice(n + 1).join(String(a)) : '')
    );
  }) as Method,
  format: pyFormat,
  join: ((s: string, items: unknown[]) => items.map(pyStr).join(s)) as Method,
  find: (s: string, x: unknown) => s.indexOf(String(x)),
  count: (s: string, x: unknown) => s.split(String(x)).length - 1,
  isdigit: (s: string) => /^\d+$/.test(s),
  isalpha: (s: string) => /^[A-Za-z]+$/.test(s),
  splitlines: (s: string) => s.split(/\r?\n/).filter((x, i, a) => i < a.length - 1 || x !== ''),
  zfill: ((s: string, w: number) => s.padStart(w, '0')) as Method,
};

const LIST: Record<string, Method> = {
  append: (l: unknown[], x: unknown) => void l.push(x),
  extend: ((l: unknown[], x: unknown[]) => void l.push(...x)) as Method,
  insert: ((l: unknown[], i: number, x: unknown) => void l.splice(i, 0, x)) as Method,
  pop: ((l: unknown[], i?: number) => l.splice(i ?? -1, 1)[0]) as Method,
  remove: (l: unknown[], x: unknown) =>
    void l.splice(
      l.findIndex((y) => pyEq(x, y)),
      1,
    ),
  index: (l: unknown[], x: unknown) => l.findIndex((y) => pyEq(x, y)),
  count: (l: unknown[], x: unknown) => l.filter((y) => pyEq(x, y)).length,
  copy: (l: unknown[]) => [...l],
};

type Dict = Record<string, unknown>;
const DICT: Record<string, Method> = {
  items: (d: Dict) => Object.entries(d).map((e) => tuple(e)),
  keys: (d: Dict) => Object.keys(d),
  values: (d: Dict) => Object.values(d),
  get: (d: Dict, k: unknown, dflt: unknown = null) =>
    Object.prototype.hasOwnProperty.call(d, String(k)) ? d[String(k)] : dflt,
  update: ((d: Dict, o: Dict) => void Object.assign(d, o)) as Method,
  copy: (d: Dict) => ({ ...d }),
  pop: ((d: Dict, k: string, dflt?: unknown) => {
    const v = k in d ? d[k] : dflt;
    delete d[k];
    return v;
  }) as Method,
  setdefault: ((d: Dict, k: string, v: unknown = null) => (k in d ? d[k] : (d[k] = v))) as Method,
};
DICT.iteritems = DICT.items!;

/** A bound Python method for `obj.name`, or undefined when the type has none of that name. */
export function pythonMethod(obj: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  const table = typeof obj === 'string' ? STR : Array.isArray(obj) ? LIST : isMapping(obj) ? DICT : undefined;
  const m = table && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  return m && ((...args: unknown[]) => m(obj as never, ...args));
}
