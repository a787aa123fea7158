/**
 * Python value semantics that Jinja2 templates (and so Ansible) rely on:
 * str()/repr() text, truthiness, equality, json.dumps and ast.literal_eval.
 * JS has one number type, so integral numbers print as Python ints.
 */

const TUPLE = Symbol('python.tuple');

/** Marks an array as a Python tuple so it prints as `(a, b)` (zip, dict.items()). */
export function tuple<T>(items: T[]): T[] {
  Object.defineProperty(items, TUPLE, { value: true });
  return items;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function pyTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = typeof a === 'number' || typeof a === 'boolean';
  const nb = typeof b === 'number' || typeof b === 'boolean';
  if (na && nb) return Number(a) === Number(b); // True == 1 in Python
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEq(a[k], b[k]));
  }
  return false;
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2'); // Python pads exponents: 1e-07
}

/** Python repr() of a string: single quotes unless the text holds ' and no ". */
const PLAIN = /^[^'\\\x00-\x1f\x7f]*$/;

export function pyStrRepr(s: string): string {
  if (PLAIN.test(s)) return `'${s}'`;
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) {
    const inner = v.map(pyRepr).join(', ');
    if ((v as unknown as Record<symbol, boolean>)[TUPLE]) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (isMapping(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return pyStr(v);
}

/** Python str(): what `{{ value }}` prints inside text. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (Array.isArray(v) || isMapping(v)) return pyRepr(v);
  return String(v);
}

export interface DumpOptions {
  sortKeys?: boolean;
  indent?: number | null;
  ensureAscii?: boolean;
  separators?: [string, string];
}

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;
function jsonString(s: string, ensureAscii: boolean): string {
  const j = JSON.stringify(s);
  if (!ensureAscii || !NON_ASCII.test(j)) return j;
  return j.replace(NON_ASCII_ALL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Python json.dumps (separators and ensure_ascii as Python defaults them). */
export function pyJsonDumps(v: unknown, o: DumpOptions = {}): string {
  const indent = o.indent ?? null;
  const [itemSep, keySep] = o.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const ascii = o.ensureAscii ?? true;
  const walk = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number')
      return Number.isFinite(x) ? pyNumber(x) : x > 0 ? 'Infinity' : Number.isNaN(x) ? 'NaN' : '-Infinity';
    if (typeof x === 'string') return jsonString(x, ascii);
    const nl = indent === null ? '' : '\n' + ' '.repeat(indent * (depth + 1));
    const end = indent === null ? '' : '\n' + ' '.repeat(indent * depth);
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return '[' + nl + x.map((e) => walk(e, depth + 1)).join(itemSep + nl) + end + ']';
    }
    if (isMapping(x)) {
      // A JS undefined is an absent key (Python has no such value), as JSON.stringify drops it.
      let keys = Object.keys(x).filter((k) => x[k] !== undefined);
      if (keys.length === 0) return '{}';
      if (o.sortKeys) keys = [...keys].sort();
      return (
        '{' + nl + keys.map((k) => jsonString(k, ascii) + keySep + walk(x[k], depth + 1)).join(itemSep + nl) + end + '}'
      );
    }
    return jsonString(String(x), ascii);
  };
  return walk(v, 0);
}

class LiteralError extends Error {}

/**
 * ast.literal_eval with JSON's true/false/null accepted, as ansible-core 2.14 applies it to
 * template output that starts with `{`/`[` or is `True`/`False`. Returns `fail` when not a literal.
 */
export function literalEval(src: string): unknown {
  // Most literals a template gives are a bool printed (`{{ x | bool }}`): JSON.parse would throw
  // on them, and a thrown SyntaxError costs ~9 µs — two a host were 1 s of a 100k-device run.
  if (src === 'True' || src === 'False') return src === 'True';
  try {
    return JSON.parse(src); // fast path: JSON is (nearly) a subset and far faster
  } catch {
    /* fall through to the Python grammar */
  }
  const p = new LiteralParser(src);
  try {
    const v = p.value();
    p.ws();
    if (p.i !== src.length) throw new LiteralError('trailing');
    return v;
  } catch (e) {
    if (e instanceof LiteralError) return LITERAL_FAIL;
    throw e;
  }
}
export const LITERAL_FAIL = Symbol('literal_eval failed');

const NAMES: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '\n': '',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

class LiteralParser {
  i = 0;
  constructor(private readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  fail(): never {
    throw new LiteralError(`at ${this.i}`);
  }
  eat(ch: string): boolean {
    this.ws();
    if (this.s[this.i] === ch) {
      this.i++;
      return true;
    }
    return false;
  }
  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '[') return this.seq(']');
    if (c === '(') return tuple(this.seq(')'));
    if (c === '{') return this.dict();
    if (c === "'" || c === '"' || (c && /[rRuUbB]/.test(c) && /['"]/.test(this.s[this.i + 1] ?? '')))
      return this.strings();
    const m =
      /^[+-]?\s*(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(
        this.s.slice(this.i),
      );
    if (m) {
      this.i += m[0].length;
      const t = m[0].replace(/[\s_]/g, '');
      const sign = t.startsWith('-') ? -1 : 1;
      const body = t.replace(/^[+-]/, '');
      if (/^0[xob]/i.test(body)) return sign * Number(body.toLowerCase());
      return sign * Number(body);
    }
    const name = /^[A-Za-z_]\w*/.exec(this.s.slice(this.i));
    if (name && name[0] in NAMES) {
      this.i += name[0].length;
      return NAMES[name[0]];
    }
    return this.fail();
  }
  seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    while (!this.eat(close)) {
      out.push(this.value());
      if (!this.eat(',')) {
        if (!this.eat(close)) this.fail();
        break;
      }
    }
    return out;
  }
  dict(): unknown {
    this.i++;
    if (this.eat('}')) return {};
    const first = this.value();
    if (!this.eat(':')) {
      // a set literal: Python prints it with braces, JSON has no sets; keep items as a list
      const items = [first];
      while (this.eat(',')) {
        if (this.eat('}')) return items;
        items.push(this.value());
      }
      if (!this.eat('}')) this.fail();
      return items;
    }
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      if (typeof key === 'object' && key !== null) this.fail(); // unhashable
      out[pyStr(key)] = this.value();
      if (this.eat('}')) return out;
      if (!this.eat(',')) this.fail();
      if (this.eat('}')) return out;
      key = this.value();
      if (!this.eat(':')) this.fail();
    }
  }
  strings(): string {
    let out = '';
    do out += this.string();
    while (
      (this.ws(),
      /['"]/.test(this.s[this.i] ?? '') ||
        (/[rRuUbB]/.test(this.s[this.i] ?? '') && /['"]/.test(this.s[this.i + 1] ?? '')))
    );
    return out;
  }
  string(): string {
    let raw = false;
    while (/[rRuUbB]/.test(this.s[this.i])) raw ||= /[rR]/.test(this.s[this.i++]);
    const q = this.s.startsWith(this.s[this.i].repeat(3), this.i) ? this.s[this.i].repeat(3) : this.s[this.i];
    this.i += q.length;
    let out = '';
    while (!this.s.startsWith(q, this.i)) {
      if (this.i >= this.s.length || (q.length === 1 && this.s[this.i] === '\n')) this.fail();
      const c = this.s[this.i++];
      if (c !== '\\' || raw) {
        out += c;
        continue;
      }
      out += this.escape();
    }
    this.i += q.length;
    return out;
  }
  escape(): string {
    const e = this.s[this.i++];
    if (e in ESCAPES && !(e === '0' && /[0-7]/.test(this.s[this.i] ?? ''))) return ESCAPES[e];
    const hex = { x: 2, u: 4, U: 8 }[e];
    if (hex) {
      const h = this.s.slice(this.i, this.i + hex);
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== hex) this.fail();
      this.i += hex;
      return String.fromCodePoint(parseInt(h, 16));
    }
    const oct = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1));
    if (oct) {
      this.i += oct[0].length - 1;
      return String.fromCodePoint(parseInt(oct[0], 8));
    }
    return '\\' + e; // Python keeps unknown escapes verbatim
  }
}
