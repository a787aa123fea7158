/**
 * nunjucks, made to behave like Jinja2 as ansible-core 2.14 configures it.
 *
 * We compile with our own subclass of nunjucks' Compiler and render with our own copy of its
 * runtime, so no global nunjucks state is patched except installJinjaCompat's slice syntax.
 * The fixes (each pinned by a test): multi-argument tests (`is version('2.10', '>=')`), which
 * 3.2.4 compiles to a syntax error; `a if c` without else is a (soft) Undefined, not "";
 * Python truthiness, `and`/`or` values, `==`, `+`, `~`, `in`; printing lists/dicts/None/bools
 * as Python does; a strict Undefined that names the variable; Python str/list/dict methods.
 */
import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';
import { isMapping, pyEq, pyRepr, pyStr, pyTruthy } from './python.js';
import { Undefined, UndefinedVariable } from './undefined.js';
import { pythonMethod } from './methods.js';
import { TEXT_PLACEHOLDER } from './preprocess.js';
import { noteRead, registerDerived, secretReadCount } from '../log/secrets.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- nunjucks internals are untyped: this file subclasses its compiler */
const transformer: any = require('nunjucks/src/transformer.js');
const nodes: any = require('nunjucks/src/nodes.js');
const nj: any = nunjucks;
nj.installJinjaCompat(); // adds `x[1:3]` slices to the parser; its runtime hooks are unused by us

/** An Undefined that prints as "" — Jinja's `a if c` without else uses plain Undefined. */
export class SoftUndefined extends Undefined {
  override toString(): string {
    return '';
  }
}

const BaseCompiler: new (name: string, throwOnUndefined: boolean) => any = nj.compiler.Compiler;

class JinjaCompiler extends BaseCompiler {
  compileIs(node: any, frame: any): void {
    const right = node.right.name ? node.right.name.value : node.right.value;
    this._emit(`runtime.fpTest(env, context, ${JSON.stringify(String(right))}, `);
    this.compile(node.left, frame);
    if (node.right.args) this._compileAggregate(node.right.args, frame, ', [', ']');
    else this._emit(', []');
    this._emit(')');
  }
  compileInlineIf(node: any, frame: any): void {
    this._emit('(runtime.fpTruthy(');
    this.compile(node.cond, frame);
    this._emit(')?');
    this.compile(node.body, frame);
    this._emit(':');
    if (node.else_ !== null) this.compile(node.else_, frame);
    else this._emit(`runtime.fpNoElse(${node.lineno + 1})`);
    this._emit(')');
  }
  compileIf(node: any, frame: any): void {
    this._emit('if(runtime.fpTruthy(');
    this._compileExpression(node.cond, frame);
    this._emitLine(')) {');
    this._withScopedSyntax(() => this.compile(node.body, frame));
    if (node.else_) {
      this._emitLine('}\nelse {');
      this._withScopedSyntax(() => this.compile(node.else_, frame));
    }
    this._emitLine('}');
  }
  private call(fn: string, node: any, frame: any, lazyRight = false): void {
    this._emit(`runtime.${fn}(`);
    this.compile(node.left, frame);
    this._emit(lazyRight ? ', function(){return ' : ', ');
    this.compile(node.right, frame);
    this._emit(lazyRight ? ';})' : ')');
  }
  compileOr(node: any, frame: any): void {
    this.call('fpOr', node, frame, true);
  }
  compileAnd(node: any, frame: any): void {
    this.call('fpAnd', node, frame, true);
  }
  compileAdd(node: any, frame: any): void {
    this.call('fpAdd', node, frame);
  }
  /** `(a, b)` is a tuple in Jinja; nunjucks would emit JS's comma operator (the last value). */
  compileGroup(node: any, frame: any): void {
    if (node.children.length > 1) this._compileAggregate(node, frame, '[', ']');
    else super.compileGroup(node, frame);
  }
  compileMul(node: any, frame: any): void {
    this.call('fpMul', node, frame);
  }
  compileMod(node: any, frame: any): void {
    this.call('fpMod', node, frame);
  }
  compileConcat(node: any, frame: any): void {
    this.call('fpConcat', node, frame);
  }
  compileIn(node: any, frame: any): void {
    this.call('fpIn', node, frame);
  }
  compileNot(node: any, frame: any): void {
    this._emit('!runtime.fpTruthy(');
    this.compile(node.target, frame);
    this._emit(')');
  }
  compileCompare(node: any, frame: any): void {
    // Jinja chains comparisons (a < b < c); each link compares two values, Python-style.
    this._emit('runtime.fpCompare([');
    this.compile(node.expr, frame);
    for (const op of node.ops) {
      this._emit(`, ${JSON.stringify(op.type)}, `);
      this.compile(op.expr, frame);
    }
    this._emit('])');
  }
  compileLookupVal(node: any, frame: any): void {
    if (node.val.typename === 'Slice') {
      this._emit('runtime.fpSlice((');
      this._compileExpression(node.target, frame);
      this._emit('),');
      this.compile(node.val, frame);
      this._emit(')');
      return;
    }
    this._emit('runtime.fpMember((');
    this._compileExpression(node.target, frame);
    this._emit('),');
    this._compileExpression(node.val, frame);
    this._emit(`, ${JSON.stringify(exprName(node))})`);
  }
  compileOutput(node: any, frame: any): void {
    for (const child of node.children) {
      if (child instanceof nodes.TemplateData) {
        const placeholder = TEXT_PLACEHOLDER.exec(child.value);
        if (placeholder) this._emitLine(`${this.buffer} += context.texts[${placeholder[1]}];`);
        else if (child.value) this._emitLine(`${this.buffer} += ${JSON.stringify(child.value)};`);
        continue;
      }
      this._emit(`${this.buffer} += runtime.fpOutput(context, `);
      this.compile(child, frame);
      this._emitLine(');');
    }
  }
}

/** `device.url`, `hosts["a"]` — how the user wrote it, for error messages. */
function exprName(node: any): string {
  switch (node.typename) {
    case 'Symbol':
      return node.value;
    case 'Literal':
      return typeof node.value === 'string' ? JSON.stringify(node.value) : String(node.value);
    case 'LookupVal': {
      const key = node.val;
      const inner = exprName(node.target);
      return key.typename === 'Literal' && typeof key.value === 'string' && /^[A-Za-z_]\w*$/.test(key.value)
        ? `${inner}.${key.value}`
        : `${inner}[${exprName(key)}]`;
    }
    case 'FunCall':
      return `${exprName(node.name)}(...)`;
    default:
      return '(expression)';
  }
}

const BaseParser: new (tokens: unknown) => any = nj.parser.Parser;
const ARG_TOKENS = new Set(['string', 'int', 'float', 'symbol', 'left-bracket', 'left-curly', 'boolean', 'none']);

/** Jinja's `x is in seq` / `n is divisibleby 3`: a test may take one argument without parentheses. */
class JinjaParser extends BaseParser {
  /** In Jinja `null` is an ordinary (usually undefined) name; nunjucks reads it as none. */
  parsePrimary(noPostfix?: boolean): any {
    const tok = this.peekToken();
    if (tok?.type === 'none' && tok.value === 'null') {
      this.nextToken();
      const sym = new nodes.Symbol(tok.lineno, tok.colno, 'null');
      return noPostfix ? sym : this.parsePostfix(sym);
    }
    return super.parsePrimary(noPostfix);
  }
  parseIs(): any {
    const node = super.parseIs();
    const is = node.typename === 'Not' ? node.target : node;
    if (is.typename !== 'Is' || is.right.typename !== 'Symbol') return node;
    const tok = this.peekToken();
    if (
      !tok ||
      !ARG_TOKENS.has(tok.type) ||
      (tok.type === 'symbol' && ['and', 'or', 'else', 'if', 'not', 'in', 'is'].includes(tok.value))
    )
      return node;
    const arg = this.parsePrimary();
    is.right = new nodes.FunCall(
      is.right.lineno,
      is.right.colno,
      is.right,
      new nodes.NodeList(arg.lineno, arg.colno, [arg]),
    );
    return node;
  }
}

/** What a compiled template needs from the render context. */
export interface RenderContext {
  env: any;
  ctx: Record<string, unknown>;
  vars: Record<string, unknown>;
  lookup(name: string): unknown;
  /** The last value printed by `{{ }}`, kept raw for single-expression templates. */
  raw: unknown;
  rawOnly: boolean;
  single?: boolean;
  /** The count of secrets read (src/log/secrets.ts) when the last `{{ }}` was printed. */
  secretMark: number;
}

const LITERAL_NAMES: Record<string, unknown> = { True: true, False: false, None: null };

const NO_VARS: Record<string, unknown> = Object.freeze(Object.create(null));

export class JinjaContext implements RenderContext {
  /** Variables the template sets ({% set %}); created on the first one (a render per host × task). */
  ctx: Record<string, unknown> = NO_VARS;
  exported: string[] | undefined = undefined;
  raw: unknown = undefined;
  /** evaluate(): only the value matters, skip printing it. */
  rawOnly = false;
  /** A single `{{ expression }}` whose list or mapping value is taken raw: its text is never used. */
  single = false;
  /** The text runs of a shared-shape template (see splitText). */
  texts: string[] | undefined = undefined;
  secretMark = secretReadCount();
  constructor(
    readonly env: any,
    readonly vars: Record<string, unknown>,
    /** Anything the filters/lookups need from the caller (templar, search paths, ctx). */
    readonly extra: unknown,
  ) {}
  lookup(name: string): unknown {
    if (name in this.ctx) return this.ctx[name];
    const v = this.vars[name];
    if (v !== undefined) return v;
    if (name in LITERAL_NAMES) return LITERAL_NAMES[name];
    if (name in this.env.globals) return this.env.globals[name];
    return new Undefined(name);
  }
  setVariable(name: string, val: unknown): void {
    if (this.ctx === NO_VARS) this.ctx = Object.create(null);
    this.ctx[name] = val;
  }
  getVariables(): Record<string, unknown> {
    return Object.assign(Object.create(this.vars), this.ctx);
  }
  addExport(name: string): void {
    (this.exported ??= []).push(name);
  }
  getBlock(name: string): never {
    throw new Error(`blocks are not supported in inline templates ("${name}")`);
  }
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  switch (op) {
    case '==':
      return pyEq(a, b);
    case '!=':
      return !pyEq(a, b);
    case '<':
      return (a as number) < (b as number);
    case '>':
      return (a as number) > (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '>=':
      return (a as number) >= (b as number);
    default:
      throw new Error(`unsupported comparison ${op}`);
  }
}

function pyIn(item: unknown, container: unknown): boolean {
  if (container instanceof Undefined) container.fail();
  if (typeof container === 'string') return container.includes(pyStr(item));
  if (Array.isArray(container)) return container.some((x) => pyEq(x, item));
  if (isMapping(container)) return typeof item === 'string' && Object.prototype.hasOwnProperty.call(container, item);
  throw new Error(`argument of type '${typeof container}' is not iterable`);
}

function member(obj: unknown, key: unknown, name: string): unknown {
  if (obj instanceof Undefined) return obj; // AnsibleUndefined keeps the first failure
  if (obj === null || obj === undefined)
    return new Undefined(name, `'NoneType' object has no attribute '${pyStr(key)}'`);
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key === 'number') {
      const v = (obj as ArrayLike<unknown>)[key < 0 ? obj.length + key : key];
      return v === undefined ? new Undefined(name, `list object has no element ${key}`) : v;
    }
  }
  const k = String(key);
  if (isMapping(obj) && Object.prototype.hasOwnProperty.call(obj, k)) {
    const v = obj[k];
    return v === undefined ? new Undefined(name) : v;
  }
  const method = pythonMethod(obj, k);
  if (method) return method;
  if (isMapping(obj)) return new Undefined(name, `'dict object' has no attribute '${k}'`);
  const v = (obj as Record<string, unknown>)[k];
  if (typeof v === 'function') return (v as (...a: unknown[]) => unknown).bind(obj);
  return v === undefined ? new Undefined(name, `'${pyType(obj)} object' has no attribute '${k}'`) : v;
}

function pyType(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function slice(obj: unknown, start: number | null, stop: number | null, step: number | null): unknown {
  if (obj instanceof Undefined) obj.fail();
  const seq = Array.isArray(obj) ? obj : typeof obj === 'string' ? [...obj] : null;
  if (!seq) throw new Error(`'${pyType(obj)}' object is not subscriptable`);
  const n = seq.length;
  const st = step ?? 1;
  const norm = (i: number | null, dflt: number): number =>
    i === null ? dflt : i < 0 ? Math.max(n + i, st < 0 ? -1 : 0) : Math.min(i, st < 0 ? n - 1 : n);
  const out: unknown[] = [];
  if (st > 0) for (let i = norm(start, 0); i < norm(stop, n); i += st) out.push(seq[i]);
  else for (let i = norm(start, n - 1); i > norm(stop, -1); i += st) out.push(seq[i]);
  return typeof obj === 'string' ? out.join('') : out;
}

/** Python's printf-style `'%s-%02d' % (name, n)`: s r d i f x o e and %%, with flags, width, precision. */
function percentFormat(fmt: string, args: unknown[]): string {
  let i = 0;
  const out = fmt.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([srdifxXoeEg%])/g,
    (_m, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      if (i >= args.length) throw new Error('not enough arguments for format string');
      const v = args[i++];
      let s: string;
      const n = Number(v);
      switch (conv) {
        case 's':
          s = pyStr(v);
          if (prec !== undefined) s = s.slice(0, Number(prec));
          break;
        case 'r':
          s = pyRepr(v);
          break;
        case 'd':
        case 'i':
          s = String(Math.trunc(n));
          break;
        case 'f':
          s = n.toFixed(prec === undefined ? 6 : Number(prec));
          break;
        case 'e':
        case 'E':
          s = n.toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2');
          if (conv === 'E') s = s.toUpperCase();
          break;
        case 'g':
          s = pyStr(n);
          break;
        case 'o':
          s = Math.trunc(n).toString(8);
          break;
        default:
          s = Math.trunc(n).toString(16);
          if (conv === 'X') s = s.toUpperCase();
      }
      if (flags.includes('+') && /^[dieEfg]$/.test(conv) && n >= 0) s = '+' + s;
      const w = Number(width ?? 0);
      if (s.length >= w) return s;
      if (flags.includes('-')) return s.padEnd(w);
      if (flags.includes('0') && conv !== 's' && conv !== 'r')
        return s.startsWith('-') || s.startsWith('+') ? s[0] + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
      return s.padStart(w);
    },
  );
  if (i < args.length) throw new Error('not all arguments converted during string formatting');
  return out;
}

/** How `{{ v }}` prints: Python str(), None as "" (ansible's finalize), Undefined is an error. */
export function toText(v: unknown): string {
  if (v instanceof SoftUndefined) return '';
  if (v instanceof Undefined) v.fail();
  if (v === null || v === undefined) return ''; // ansible's finalize prints None as ""
  return pyStr(v);
}

function output(context: RenderContext, v: unknown): string {
  context.raw = v;
  // A secret was read since the last output: what this expression gives is derived from it.
  if (context.secretMark !== secretReadCount()) {
    registerDerived(v);
    context.secretMark = secretReadCount();
  }
  if (context.rawOnly) {
    if (v instanceof Undefined && !(v instanceof SoftUndefined)) v.fail();
    return '';
  }
  // Python's repr of a large mapping is costly, and the caller takes the value itself.
  if (context.single && typeof v === 'object' && v !== null && (Array.isArray(v) || isMapping(v))) return '';
  return toText(v);
}

const base: any = nj.runtime;
export const runtime: any = {
  ...base,
  contextOrFrameLookup(context: RenderContext, frame: any, name: string): unknown {
    const f = frame.lookup(name);
    const v = f !== undefined ? f : context.lookup(name);
    if (typeof v === 'string') noteRead(v);
    return v;
  },
  memberLookup: (obj: unknown, key: unknown) => member(obj, key, String(key)),
  callWrap(fn: unknown, name: string, context: unknown, args: unknown[]): unknown {
    if (fn instanceof Undefined) fn.fail();
    if (typeof fn !== 'function') throw new Error(`'${name}' is not callable`);
    return fn.apply(context, args);
  },
  fromIterator(v: unknown): unknown {
    if (v instanceof SoftUndefined) return [];
    if (v instanceof Undefined) v.fail();
    if (isMapping(v)) return Object.keys(v); // iterating a dict yields its keys, as in Python
    return base.fromIterator(v);
  },
  handleError(e: unknown, lineno: number, colno: number): unknown {
    if (e instanceof UndefinedVariable || (e as { error?: unknown }).error) return e; // ours: keep as is
    return base.handleError(e, lineno, colno);
  },
  fpTest(env: any, context: unknown, name: string, value: unknown, args: unknown[]): boolean {
    const test = env.tests[name];
    if (!test) throw new Error(`no test named '${name}'`);
    return test.call(context, value, ...args) === true;
  },
  fpTruthy(v: unknown): boolean {
    if (v instanceof SoftUndefined) return false;
    if (v instanceof Undefined) v.fail();
    return pyTruthy(v);
  },
  fpNoElse: (line: number) =>
    new SoftUndefined(
      '(inline if)',
      `the inline if-expression on line ${line} evaluated to false and no else section was defined.`,
    ),
  fpOr: (a: unknown, b: () => unknown) => (runtime.fpTruthy(a) ? a : b()),
  fpAnd: (a: unknown, b: () => unknown) => (runtime.fpTruthy(a) ? b() : a),
  fpAdd(a: unknown, b: unknown): unknown {
    if (a instanceof Undefined) a.fail();
    if (b instanceof Undefined) b.fail();
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (typeof a === 'string' && typeof b !== 'string')
      throw new Error(`can only concatenate str (not "${pyType(b)}") to str`);
    return (a as number) + (b as number);
  },
  fpConcat: (a: unknown, b: unknown) => toText(a) + toText(b),
  fpMul(a: unknown, b: unknown): unknown {
    if (a instanceof Undefined) a.fail();
    if (b instanceof Undefined) b.fail();
    if (typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b)); // '-' * 3
    if (Array.isArray(a) && typeof b === 'number') return Array.from({ length: Math.max(0, b) }, () => a).flat(1);
    return (a as number) * (b as number);
  },
  fpMod(a: unknown, b: unknown): unknown {
    if (a instanceof Undefined) a.fail();
    if (b instanceof Undefined) b.fail();
    if (typeof a === 'string') return percentFormat(a, Array.isArray(b) ? b : [b]);
    const m = (a as number) % (b as number);
    return m !== 0 && Math.sign(m) !== Math.sign(b as number) ? m + (b as number) : m; // Python's sign rule
  },
  fpIn: pyIn,
  fpCompare(parts: unknown[]): boolean {
    for (let i = 0; i + 2 < parts.length; i += 2)
      if (!compare(parts[i], parts[i + 1] as string, parts[i + 2])) return false;
    return true;
  },
  fpMember(obj: unknown, key: unknown, name: string): unknown {
    const v = member(obj, key, name);
    if (typeof v === 'string') noteRead(v);
    return v;
  },
  fpSlice: slice,
  fpOutput: output,
};

export interface Compiled {
  root: (env: any, context: RenderContext, frame: any, rt: any, cb: (err: unknown, res: string) => void) => void;
  /** The template is exactly one `{{ expression }}`: its value can be returned without text. */
  single: boolean;
  /** ... and that expression ends in a string-type filter (to_json...): ansible keeps the text. */
  nativeText: boolean;
  /** ... and that expression only reads a variable (x, x.y, x['y']): its value is what was stored. */
  stored: boolean;
}

/** ansible-core's STRING_TYPE_FILTERS: their output is never literal_eval'd back into data. */
const STRING_TYPE_FILTERS = new Set([
  'string',
  'to_json',
  'to_nice_json',
  'to_yaml',
  'to_nice_yaml',
  'ppretty',
  'json',
]);

/** Parse and compile a template source with the Jinja fixes; throws nunjucks' TemplateError on bad syntax. */
export function compileTemplate(src: string, env: any, name: string): Compiled {
  const ast = new JinjaParser(nj.lexer.lex(src, env.opts)).parseAsRoot();
  const c = new JinjaCompiler(name, false);
  c.compile(transformer.transform(ast, [], name));
  // nunjucks compiles a template to JavaScript source, as nunjucks itself evaluates it.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const props = new Function(c.getCode())();
  const kids = ast.children;
  const single =
    kids.length === 1 &&
    kids[0].typename === 'Output' &&
    kids[0].children.length === 1 &&
    !(kids[0].children[0] instanceof nodes.TemplateData);
  const top = single ? kids[0].children[0] : undefined;
  const nativeText = top?.typename === 'Filter' && STRING_TYPE_FILTERS.has(top.name.value);
  const stored = top?.typename === 'Symbol' || top?.typename === 'LookupVal';
  return { root: props.root, single, nativeText, stored };
}

/** Render synchronously; errors are thrown as they were raised inside the template. */
export function renderCompiled(t: Compiled, context: RenderContext): string {
  let out = '';
  let error: unknown;
  t.root(context.env, context, new base.Frame(), runtime, (err, res) => {
    error = err;
    out = res;
  });
  // Rethrown as raised inside the template (FleetFailure, UndefinedVariable, nunjucks' own errors).
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  if (error) throw error;
  return out;
}

/** The part of a nunjucks Environment the Templar touches; the rest stays opaque. */
export interface JinjaEnvironment {
  filters: Record<string, unknown>;
  tests: Record<string, unknown>;
  globals: Record<string, unknown>;
}

export function newEnvironment(): JinjaEnvironment {
  // ansible's Templar uses trim_blocks=True; autoescape stays off for config files
  return new nj.Environment([], { autoescape: false, trimBlocks: true, throwOnUndefined: false });
}
