/** Jinja2/Ansible tests (`x is defined`, `v is version('2.10', '>=')`), with Python semantics. */
import { bind, kwargs } from './args.js';
import { isMapping, pyEq, pyStr, pyTruthy } from './python.js';
import { pyRegex } from './regex.js';
import { registerTest, type TestFn } from './registry.js';
import { defined, Undefined } from './undefined.js';

const isDefined: TestFn = (v) => !(v instanceof Undefined) && v !== undefined;
registerTest('defined', isDefined);
registerTest('undefined', (v) => !isDefined(v));
const isNone: TestFn = (v) => v === null;
registerTest('none', isNone);
registerTest('null', isNone); // nunjucks parses `is none` as the literal null
registerTest('true', (v) => v === true);
registerTest('false', (v) => v === false);
registerTest('boolean', (v) => typeof v === 'boolean');
registerTest('string', (v) => typeof v === 'string');
registerTest('number', (v) => typeof v === 'number');
registerTest('integer', (v) => typeof v === 'number' && Number.isInteger(v));
registerTest('float', (v) => typeof v === 'number' && !Number.isInteger(v));
registerTest('mapping', (v) => isMapping(v));
registerTest('iterable', (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v));
registerTest('sequence', (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)); // Jinja: has __len__ and __getitem__
registerTest('callable', (v) => typeof v === 'function');
registerTest('in', (v, seq) => {
  const s = defined(seq);
  if (typeof s === 'string') return s.includes(pyStr(defined(v)));
  if (Array.isArray(s)) return s.some((x) => pyEq(x, v));
  return isMapping(s) && typeof v === 'string' && v in s;
});
registerTest('contains', (seq, v) => {
  const s = defined(seq);
  return Array.isArray(s)
    ? s.some((x) => pyEq(x, v))
    : typeof s === 'string'
      ? s.includes(pyStr(v))
      : isMapping(s) && String(v) in s;
});
registerTest('subset', (a, b) =>
  (defined(a) as unknown[]).every((x) => (defined(b) as unknown[]).some((y) => pyEq(x, y))),
);
registerTest('superset', (a, b) =>
  (defined(b) as unknown[]).every((x) => (defined(a) as unknown[]).some((y) => pyEq(x, y))),
);
registerTest('any', (v) => (defined(v) as unknown[]).some(pyTruthy));
registerTest('all', (v) => (defined(v) as unknown[]).every(pyTruthy));
// Jinja's comparison tests, used as `select('>', 2)` or `selectattr('n', 'ge', 3)`
const cmp =
  (f: (a: number, b: number) => boolean): TestFn =>
  (a, b) =>
    f(defined(a) as number, defined(b) as number);
const COMPARISONS: [string[], TestFn][] = [
  [['==', 'eq', 'equalto'], (a, b) => pyEq(defined(a), defined(b))],
  [['!=', 'ne'], (a, b) => !pyEq(defined(a), defined(b))],
  [['>', 'gt', 'greaterthan'], cmp((a, b) => a > b)],
  [['>=', 'ge'], cmp((a, b) => a >= b)],
  [['<', 'lt', 'lessthan'], cmp((a, b) => a < b)],
  [['<=', 'le'], cmp((a, b) => a <= b)],
];
for (const [names, fn] of COMPARISONS) for (const n of names) registerTest(n, fn);
registerTest('sameas', (a, b) => a === b);
registerTest('divisibleby', (a, b) => (defined(a) as number) % (defined(b) as number) === 0);
registerTest('even', (a) => (defined(a) as number) % 2 === 0);
registerTest('odd', (a) => Math.abs(defined(a) as number) % 2 === 1);

/** Ansible's regex tests: match anchors at the start, search anywhere, regex picks by match_type. */
function regexTest(kind: 'match' | 'search' | 'fullmatch'): TestFn {
  return (value, ...args) => {
    const a = bind(kind, ['pattern', 'ignorecase', 'multiline'], args);
    const src =
      kind === 'search' ? text(a.pattern) : kind === 'match' ? `^(?:${text(a.pattern)})` : `^(?:${text(a.pattern)})$`;
    return pyRegex(src, '', a).test(text(defined(value)));
  };
}
const text = (v: unknown) => pyStr(v);
registerTest('match', regexTest('match'));
registerTest('search', regexTest('search'));
registerTest('regex', (value, ...args) => {
  const { pos, kw } = kwargs(args);
  const how = (kw.match_type as string) ?? 'search';
  return regexTest(how as 'search')(value, pos[0], {
    ignorecase: kw.ignorecase,
    multiline: kw.multiline,
    __keywords: true,
  });
});

// --- results of tasks (the engine registers them as dicts) -----------------------------------
const flag = (key: string) => (v: unknown) => isMapping(v) && pyTruthy(v[key]);
for (const n of ['failed', 'failure']) registerTest(n, flag('failed'));
for (const n of ['succeeded', 'success', 'successful']) registerTest(n, (v) => isMapping(v) && !pyTruthy(v.failed));
for (const n of ['changed', 'change']) registerTest(n, flag('changed'));
for (const n of ['skipped', 'skip']) registerTest(n, flag('skipped'));

// --- versions -------------------------------------------------------------------------------
const OPS: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
}; // prettier-ignore

/** distutils LooseVersion: numbers and letter runs; comparing a number with letters is an error in Python 3. */
function looseParts(v: string): (number | string)[] {
  return v
    .split(/(\d+|[a-z]+|\.)/i)
    .filter((p) => p && p !== '.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
function compareLoose(a: string, b: string): number {
  const x = looseParts(a);
  const y = looseParts(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (typeof p !== typeof q)
      throw new Error(
        `Version comparison failed: '<' not supported between instances of '${typeof p === 'number' ? 'int' : 'str'}' and '${typeof q === 'number' ? 'int' : 'str'}'`,
      );
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
/** distutils StrictVersion: N.N[.N][(a|b)N]. */
function compareStrict(a: string, b: string): number {
  const parse = (s: string) => {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(s);
    if (!m) throw new Error(`Version comparison failed: invalid version number '${s}'`);
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), m[4] ? (m[4] === 'a' ? -2 : -1) : 0, Number(m[5] ?? 0)];
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}
/** Semantic Versioning 2.0: pre-releases sort before the release, build metadata is ignored. */
function compareSemver(a: string, b: string): number {
  const parse = (s: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s);
    if (!m) throw new Error(`Version comparison failed: invalid semantic version '${s}'`);
    return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i] < y.core[i] ? -1 : 1;
  if (!x.pre.length || !y.pre.length) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === q) continue;
    const np = /^\d+$/.test(p);
    const nq = /^\d+$/.test(q);
    if (np && nq) return Number(p) < Number(q) ? -1 : 1;
    if (np !== nq) return np ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}
const version: TestFn = (value, ...args) => {
  const a = bind('version', ['version', 'operator', 'strict', 'version_type'], args);
  const op = text(a.operator ?? 'eq');
  const check = OPS[op];
  if (!check) throw new Error(`Invalid operator type (${op}); write one of ${Object.keys(OPS).join(', ')}`);
  if (a.version === undefined || a.version === null || a.version === '')
    throw new Error('Version parameter to compare against cannot be empty');
  const type = a.version_type ?? (a.strict === true ? 'strict' : 'loose');
  const cmp =
    type === 'strict'
      ? compareStrict
      : type === 'semver' || type === 'semantic'
        ? compareSemver
        : type === 'loose'
          ? compareLoose
          : undefined;
  if (!cmp) throw new Error(`Invalid version type (${text(type)}); write loose, strict or semver`);
  return check(cmp(text(defined(value)), text(a.version)));
};
registerTest('version', version);
registerTest('version_compare', version);
