/**
 * Ansible/Jinja2 filters with Python semantics. Signatures follow ansible-core 2.14 and Jinja2
 * (parameter names matter: templates pass them as keyword arguments).
 */
import { createHash } from 'node:crypto';
import jmespath from 'jmespath';
import YAML from 'yaml';
import { bind, kwargs } from './args.js';
import { isMapping, pyEq, pyJsonDumps, pyStr, pyTruthy, tuple } from './python.js';
import { pyRegex, pyReplacement } from './regex.js';
import { shortName } from '../plugins/fqcn.js';
import { filters, registerFilter, tests, type FilterFn } from './registry.js';
import { Undefined } from './undefined.js';
import { SoftUndefined } from './engine.js';

type Dict = Record<string, unknown>;

function def(name: string, params: readonly string[], fn: (value: unknown, a: Dict) => unknown): void {
  registerFilter(name, (value, ...args) => fn(value, bind(name, params, args)));
}

function seq(v: unknown, filter: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new Error(`${filter}: expected a list, got ${typeName(v)}`);
}

/** Error messages name the type, never the value (it may be a secret). */
function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'None';
  if (isMapping(v)) return 'a dictionary';
  return typeof v === 'string'
    ? 'a string'
    : typeof v === 'number'
      ? 'a number'
      : typeof v === 'boolean'
        ? 'a boolean'
        : typeof v;
}

function text(v: unknown): string {
  return pyStr(v);
}

// --- defaults and checks -------------------------------------------------------------------
const defaultFilter: FilterFn = (value, ...args) => {
  const a = bind('default', ['default_value', 'boolean'], args);
  const missing = value instanceof Undefined || value === undefined || (a.boolean === true && !pyTruthy(value));
  return missing ? (a.default_value ?? '') : value;
};
registerFilter('default', defaultFilter, { undefinedAware: true });
registerFilter('d', defaultFilter, { undefinedAware: true });

registerFilter(
  'mandatory',
  (value, ...args) => {
    const { msg } = bind('mandatory', ['msg'], args);
    if (value instanceof Undefined && !(value instanceof SoftUndefined)) {
      throw new Error(msg ? text(msg) : `Mandatory variable '${value.name}'  not defined.`);
    }
    if (value instanceof SoftUndefined) throw new Error(msg ? text(msg) : 'Mandatory variable  not defined.');
    return value;
  },
  { undefinedAware: true },
);

// --- serialisation -------------------------------------------------------------------------
def('to_json', ['sort_keys', 'indent', 'ensure_ascii', 'separators'], (v, a) =>
  pyJsonDumps(v, {
    sortKeys: a.sort_keys === true,
    indent: (a.indent as number | undefined) ?? null,
    ensureAscii: a.ensure_ascii !== false,
    separators: a.separators as [string, string] | undefined,
  }),
);
def('to_nice_json', ['indent', 'sort_keys', 'ensure_ascii'], (v, a) =>
  pyJsonDumps(v, {
    indent: (a.indent as number) ?? 4,
    sortKeys: a.sort_keys !== false,
    ensureAscii: a.ensure_ascii !== false,
    separators: [',', ': '],
  }),
);
/** Parser messages quote the input, which may be a secret: say where, not what. */
def('from_json', [], (v) => {
  try {
    return JSON.parse(text(v));
  } catch (e) {
    const at = /position (\d+)/.exec(String((e as Error).message));
    throw new Error(`from_json: the value is not valid JSON${at ? ` (at character ${at[1]})` : ''}`);
  }
});

/** PyYAML's default_flow_style=None: a collection whose children are all scalars goes inline. */
function pyYaml(v: unknown, indent: number, flowLeaves: boolean): string {
  const doc = new YAML.Document(v, { sortMapEntries: true });
  if (flowLeaves) {
    YAML.visit(doc, {
      Map: (_k, n) => void (n.flow = n.items.every((p) => YAML.isScalar(p.value) || p.value === null)),
      Seq: (_k, n) => void (n.flow = n.items.every((i) => YAML.isScalar(i))),
    });
  }
  return doc.toString({ indent, indentSeq: false, flowCollectionPadding: false, singleQuote: true, lineWidth: 0 });
}
def('to_yaml', ['indent', 'default_flow_style'], (v, a) =>
  pyYaml(v, (a.indent as number) ?? 2, a.default_flow_style !== false),
);
def('to_nice_yaml', ['indent'], (v, a) => pyYaml(v, (a.indent as number) ?? 4, false));
def('from_yaml', [], (v) => {
  if (typeof v !== 'string') return v;
  try {
    return YAML.parse(v, { version: '1.1' });
  } catch (e) {
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new Error(`from_yaml: the value is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`);
  }
});

// --- scalars -------------------------------------------------------------------------------
def('bool', [], (v) => {
  if (v === null || typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v.toLowerCase() : v;
  return ['yes', 'on', '1', 'true', 1].includes(s as string | number);
});

const digitPatterns = new Map<number, RegExp>();
function digitsPattern(base: number): RegExp {
  let re = digitPatterns.get(base);
  if (!re)
    digitPatterns.set(base, (re = new RegExp(`^[+-]?[${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base)}]+$`)));
  return re;
}
function pyInt(v: unknown, base: number): number | undefined {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().replace(/_/g, '').toLowerCase();
  const prefixed = /^([+-]?)0([xob])([0-9a-f]+)$/.exec(s);
  const radix = { x: 16, o: 8, b: 2 } as const;
  if (prefixed && (base === 0 || radix[prefixed[2] as 'x'] === base))
    return (prefixed[1] === '-' ? -1 : 1) * parseInt(prefixed[3], radix[prefixed[2] as 'x']);
  if (!digitsPattern(base || 10).test(s)) return undefined;
  return parseInt(s, base || 10);
}
def('int', ['default', 'base'], (v, a) => {
  const base = (a.base as number) ?? 10;
  const direct = pyInt(v, base);
  if (direct !== undefined) return direct;
  const f = pyFloat(v);
  return f !== undefined && Number.isFinite(f) ? Math.trunc(f) : (a.default ?? 0);
});
function pyFloat(v: unknown): number | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
  if (typeof v !== 'string' || !/^\s*[+-]?(\d[\d_]*\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf(inity)?|nan)\s*$/i.test(v))
    return undefined;
  const t = v.trim().toLowerCase().replace(/_/g, '');
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return t.endsWith('nan') ? NaN : Number(t);
}
def('float', ['default'], (v, a) => pyFloat(v) ?? a.default ?? 0);
def('string', [], (v) => text(v));
def('lower', [], (v) => text(v).toLowerCase());
def('upper', [], (v) => text(v).toUpperCase());
def('capitalize', [], (v) => text(v).charAt(0).toUpperCase() + text(v).slice(1).toLowerCase());
def('trim', ['chars'], (v, a) => {
  const s = text(v);
  if (a.chars === undefined || a.chars === null) return s.trim();
  const set = new Set([...text(a.chars)]);
  let i = 0;
  let j = s.length;
  while (i < j && set.has(s[i])) i++;
  while (j > i && set.has(s[j - 1])) j--;
  return s.slice(i, j);
});
def('replace', ['old', 'new', 'count'], (v, a) => {
  const parts = text(v).split(text(a.old));
  const n = a.count === undefined || a.count === null ? parts.length : (a.count as number) + 1;
  return parts.slice(0, n).join(text(a.new)) + (n < parts.length ? text(a.old) + parts.slice(n).join(text(a.old)) : '');
});
def('ternary', ['true_val', 'false_val', 'none_val'], (v, a) => {
  if (v === null && a.none_val !== undefined && a.none_val !== null) return a.none_val;
  return pyTruthy(v) ? (a.true_val ?? true) : (a.false_val ?? false);
});
def('quote', [], (v) => (/^[\w@%+=:,./-]+$/.test(text(v)) ? text(v) : `'${text(v).replace(/'/g, `'"'"'`)}'`));
def('basename', [], (v) => text(v).replace(/.*\//, ''));
def('dirname', [], (v) => text(v).replace(/\/?[^/]*$/, ''));

// --- regular expressions -------------------------------------------------------------------
def('regex_replace', ['pattern', 'replacement', 'ignorecase', 'multiline'], (v, a) =>
  text(v).replace(pyRegex(text(a.pattern ?? ''), 'g', a), pyReplacement(text(a.replacement ?? ''))),
);
registerFilter('regex_search', (value, ...args) => {
  const { pos, kw } = kwargs(args);
  const [pattern, ...groupRefs] = pos;
  const m = pyRegex(text(pattern), '', kw).exec(text(value));
  if (!m) return null;
  if (groupRefs.length === 0) return m[0];
  return groupRefs.map((g) => {
    const ref = text(g);
    const named = /^\\g<(\S+)>$/.exec(ref);
    const num = /^\\(\d+)$/.exec(ref);
    if (named) return /^\d+$/.test(named[1]) ? m[Number(named[1])] : m.groups?.[named[1]];
    if (num) return m[Number(num[1])] ?? null;
    throw new Error(`regex_search: unknown argument ${ref}; write '\\\\1' or '\\\\g<name>'`);
  });
});
def('regex_findall', ['regex', 'multiline', 'ignorecase'], (v, a) =>
  [...text(v).matchAll(pyRegex(text(a.regex), 'g', a))].map((m) =>
    m.length === 1 ? m[0] : m.length === 2 ? m[1] : tuple(m.slice(1)),
  ),
);
def('regex_escape', [], (v) => text(v).replace(/[^A-Za-z0-9_]/g, '\\$&'));

// --- sequences -----------------------------------------------------------------------------
function emptySeq(which: string): Undefined {
  return new Undefined(`${which} item`, `No ${which} item, sequence was empty.`);
}
def('first', [], (v) => {
  const s = seq(v, 'first');
  return s.length ? s[0] : emptySeq('first');
});
def('last', [], (v) => {
  const s = seq(v, 'last');
  return s.length ? s[s.length - 1] : emptySeq('last');
});
const length: FilterFn = (v) =>
  isMapping(v) ? Object.keys(v).length : typeof v === 'string' ? [...v].length : seq(v, 'length').length;
registerFilter('length', length);
registerFilter('count', length);
def('list', [], (v) => [...seq(v, 'list')]);
def('reverse', [], (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...seq(v, 'reverse')].reverse()));
def('join', ['d', 'attribute'], (v, a) =>
  seq(v, 'join')
    .map((x) => text(a.attribute ? attr(x, text(a.attribute)) : x))
    .join(text(a.d ?? '')),
);
def('split', ['sep', 'maxsplit'], (v, a) => {
  const s = text(v);
  if (a.sep === undefined || a.sep === null) return s.trim().split(/\s+/).filter(Boolean);
  const parts = s.split(text(a.sep));
  const max = (a.maxsplit as number) ?? -1;
  return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), parts.slice(max).join(text(a.sep))];
});
def('unique', ['case_sensitive', 'attribute'], (v, a) => {
  const out: unknown[] = [];
  const key = (x: unknown) => {
    const k = a.attribute ? attr(x, text(a.attribute)) : x;
    return a.case_sensitive !== true && typeof k === 'string' ? k.toLowerCase() : k;
  };
  for (const x of seq(v, 'unique')) if (!out.some((y) => pyEq(key(y), key(x)))) out.push(x);
  return out;
});

function pyCompare(x: unknown, y: unknown): number {
  if (
    typeof x !== typeof y &&
    !(typeof x === 'number' && typeof y === 'boolean') &&
    !(typeof x === 'boolean' && typeof y === 'number')
  ) {
    throw new Error(`'<' not supported between instances of '${typeof x}' and '${typeof y}'`);
  }
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = pyCompare(x[i], y[i]);
      if (c) return c;
    }
    return x.length - y.length;
  }
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}
def('sort', ['reverse', 'case_sensitive', 'attribute'], (v, a) => {
  const key = (x: unknown) => {
    const k = a.attribute ? attr(x, text(a.attribute)) : x;
    return a.case_sensitive !== true && typeof k === 'string' ? k.toLowerCase() : k;
  };
  const out = [...seq(v, 'sort')].sort((x, y) => pyCompare(key(x), key(y)));
  return a.reverse === true ? out.reverse() : out;
});
def(
  'min',
  ['attribute'],
  (v, a) =>
    [...seq(v, 'min')].sort((x, y) =>
      pyCompare(a.attribute ? attr(x, text(a.attribute)) : x, a.attribute ? attr(y, text(a.attribute)) : y),
    )[0],
);
def(
  'max',
  ['attribute'],
  (v, a) =>
    [...seq(v, 'max')].sort((x, y) =>
      pyCompare(a.attribute ? attr(y, text(a.attribute)) : y, a.attribute ? attr(x, text(a.attribute)) : x),
    )[0],
);
def('sum', ['attribute', 'start'], (v, a) =>
  seq(v, 'sum').reduce<number>(
    (s, x) => s + Number(a.attribute ? attr(x, text(a.attribute)) : x),
    (a.start as number) ?? 0,
  ),
);
def('abs', [], (v) => Math.abs(Number(v)));
def('round', ['precision', 'method'], (v, a) => {
  const f = 10 ** ((a.precision as number) ?? 0);
  const op = a.method === 'ceil' ? Math.ceil : a.method === 'floor' ? Math.floor : Math.round;
  return op(Number(v) * f) / f;
});

/** `a.b.c` attribute paths, as Jinja's make_attrgetter; a missing one is Undefined. */
function attr(x: unknown, path: string): unknown {
  let cur = x;
  for (const part of path.split('.')) {
    const key = /^\d+$/.test(part) && Array.isArray(cur) ? Number(part) : part;
    if (cur === null || typeof cur !== 'object' || !(key in cur))
      return new Undefined(path, `'dict object' has no attribute '${part}'`);
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

function runTest(ctx: unknown, name: string, value: unknown, args: unknown[]): boolean {
  const t = tests[shortName(name, 'test')];
  if (!t) throw new Error(`no test named '${name}'`);
  return t.call(ctx, value, ...args) === true;
}

registerFilter('map', function (this: unknown, value, ...args) {
  const { pos, kw } = kwargs(args);
  const items = seq(value, 'map');
  if (kw.attribute !== undefined) {
    return items.map((x) => {
      const v = attr(x, text(kw.attribute));
      return v instanceof Undefined && 'default' in kw ? kw.default : v;
    });
  }
  const [name, ...rest] = pos;
  const f = filters[shortName(text(name), 'filter')];
  if (!f) throw new Error(`no filter named '${text(name)}'`);
  const tail = Object.keys(kw).length ? [...rest, Object.assign({}, kw, { __keywords: true })] : rest;
  return items.map((x) => f.call(this, x, ...tail));
});
function selector(keep: boolean, byAttr: boolean): FilterFn {
  return function (this: unknown, value, ...args) {
    const [first, ...rest] = args;
    const path = byAttr ? text(first) : undefined;
    const [testName, ...testArgs] = byAttr ? rest : args;
    return seq(value, 'select').filter((x) => {
      const v = path === undefined ? x : attr(x, path);
      const ok =
        testName === undefined
          ? pyTruthy(v instanceof Undefined ? v.fail() : v)
          : runTest(this, text(testName), v, testArgs);
      return ok === keep;
    });
  };
}
registerFilter('select', selector(true, false));
registerFilter('reject', selector(false, false));
registerFilter('selectattr', selector(true, true));
registerFilter('rejectattr', selector(false, true));

def('flatten', ['levels', 'skip_nulls'], (v, a) =>
  flatten(seq(v, 'flatten'), a.levels as number | null | undefined, a.skip_nulls !== false),
);
function flatten(items: unknown[], levels: number | null | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of items) {
    if (skipNulls && (x === null || x === 'None' || x === 'null')) continue;
    if (Array.isArray(x) && (levels === null || levels === undefined)) out.push(...flatten(x, levels, skipNulls));
    else if (Array.isArray(x) && (levels ?? 0) >= 1) out.push(...flatten(x, (levels ?? 1) - 1, skipNulls));
    else out.push(x);
  }
  return out;
}
registerFilter('zip', (value, ...others) => {
  const lists = [value, ...others].map((l) => seq(l, 'zip'));
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => l[i])));
});
registerFilter('zip_longest', (value, ...args) => {
  const { pos, kw } = kwargs(args);
  const lists = [value, ...pos].map((l) => seq(l, 'zip_longest'));
  const n = Math.max(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => (i < l.length ? l[i] : (kw.fillvalue ?? null)))));
});
const setOp = (name: string, keep: (inA: boolean, inB: boolean) => boolean, withB: boolean) =>
  registerFilter(name, (a, b) => {
    const A = seq(a, name);
    const B = seq(b, name);
    const pool = withB ? [...A, ...B] : A;
    const out: unknown[] = [];
    for (const x of pool) {
      if (out.some((y) => pyEq(x, y))) continue;
      if (
        keep(
          A.some((y) => pyEq(x, y)),
          B.some((y) => pyEq(x, y)),
        )
      )
        out.push(x);
    }
    return out;
  });
setOp('union', () => true, true);
setOp('intersect', (a, b) => a && b, false);
setOp('difference', (_a, b) => !b, false);
setOp('symmetric_difference', (a, b) => a !== b, true);

// --- dictionaries --------------------------------------------------------------------------
type ListMerge = 'replace' | 'keep' | 'append' | 'prepend' | 'append_rp' | 'prepend_rp';
function mergeLists(a: unknown[], b: unknown[], how: ListMerge): unknown[] {
  switch (how) {
    case 'keep':
      return a;
    case 'append':
      return [...a, ...b];
    case 'prepend':
      return [...b, ...a];
    case 'append_rp':
      return [...a.filter((x) => !b.some((y) => pyEq(x, y))), ...b];
    case 'prepend_rp':
      return [...b, ...a.filter((x) => !b.some((y) => pyEq(x, y)))];
    default:
      return b;
  }
}
function merge(a: Dict, b: Dict, recursive: boolean, how: ListMerge): Dict {
  const out: Dict = Object.assign({}, a);
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    if (recursive && isMapping(old) && isMapping(v)) out[k] = merge(old, v, recursive, how);
    else if (Array.isArray(old) && Array.isArray(v)) out[k] = mergeLists(old, v, how);
    else out[k] = v;
  }
  return out;
}
registerFilter('combine', (value, ...args) => {
  const { pos, kw } = kwargs(args);
  const dicts = flatten([value, ...pos], null, false);
  for (const [i, d] of dicts.entries()) {
    if (!isMapping(d))
      throw new Error(
        `combine: argument ${i + 1} is ${typeName(d)}, not a dictionary; write a mapping such as {'key': 'value'}`,
      );
  }
  return (dicts as Dict[]).reduce(
    (acc, d) => merge(acc, d, kw.recursive === true, (kw.list_merge as ListMerge) ?? 'replace'),
    {},
  );
});
def('dict2items', ['key_name', 'value_name'], (v, a) => {
  if (!isMapping(v)) throw new Error(`dict2items requires a dictionary, got ${typeName(v)} instead.`);
  return Object.entries(v).map(([k, x]) => ({ [text(a.key_name ?? 'key')]: k, [text(a.value_name ?? 'value')]: x }));
});
def('items2dict', ['key_name', 'value_name'], (v, a) => {
  const out: Dict = {};
  for (const item of seq(v, 'items2dict')) {
    if (!isMapping(item)) throw new Error(`items2dict requires a list of dictionaries, got ${typeName(item)}`);
    out[text(item[text(a.key_name ?? 'key')])] = item[text(a.value_name ?? 'value')];
  }
  return out;
});
def('items', [], (v) => (isMapping(v) ? Object.entries(v).map((e) => tuple(e)) : []));
def('json_query', ['expr'], (v, a) => jmespath.search(v, text(a.expr)));

// --- encodings and hashes ------------------------------------------------------------------
def('b64encode', ['encoding'], (v) => Buffer.from(text(v), 'utf8').toString('base64'));
def('b64decode', ['encoding'], (v) => Buffer.from(text(v), 'base64').toString('utf8'));
def('hash', ['hashtype'], (v, a) =>
  createHash(text(a.hashtype ?? 'sha1'))
    .update(text(v), 'utf8')
    .digest('hex'),
);
def('checksum', [], (v) => createHash('sha1').update(text(v), 'utf8').digest('hex'));
def('password_hash', [], () => {
  throw new Error('password_hash is not supported by fleetplay; hash secrets before committing them');
});

const UUID_NAMESPACE_ANSIBLE = '361E6D51-FAEC-444A-9079-341386DA8E2E';
/** RFC 4122 version 5 UUID, as Python's uuid.uuid5(namespace, name). */
function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
def('to_uuid', ['namespace'], (v, a) => uuid5(text(a.namespace ?? UUID_NAMESPACE_ANSIBLE), text(v)));

/** Seeded (deterministic per seed, e.g. inventory_hostname) but not Python's Mersenne twister. */
function seededRandom(seed: unknown): () => number {
  if (seed === undefined || seed === null) return Math.random;
  let counter = 0;
  const key = text(seed);
  return () => createHash('sha256').update(`${key}\u0000${counter++}`).digest().readUInt32BE(0) / 2 ** 32;
}
def('random', ['start', 'step', 'seed'], (v, a) => {
  const rnd = seededRandom(a.seed);
  if (typeof v === 'number') {
    const start = (a.start as number) ?? 0;
    const step = (a.step as number) ?? 1;
    const n = Math.ceil((v - start) / step);
    if (n <= 0) throw new Error(`random: empty range for randrange(${start}, ${v}, ${step})`);
    return start + step * Math.floor(rnd() * n);
  }
  const items = seq(v, 'random');
  if (items.length === 0) throw new Error('random: cannot choose from an empty sequence');
  return items[Math.floor(rnd() * items.length)];
});
