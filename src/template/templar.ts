/**
 * The Templar: ansible-core 2.14 templating of task arguments and variables.
 * Each distinct template source is compiled once (cache by source) and rendered per host.
 */
import { FleetFailure, type FleetError } from '../errors/index.js';
import {
  compileTemplate,
  JinjaContext,
  newEnvironment,
  renderCompiled,
  SoftUndefined,
  type Compiled,
} from './engine.js';
import { lookup, query } from './lookups.js';
import { isMapping, literalEval, LITERAL_FAIL, pyTruthy } from './python.js';
import { filters, tests, type LookupContext } from './registry.js';
import { preprocess, splitText } from './preprocess.js';
import { kwargs } from './args.js';
import { Undefined, UndefinedVariable } from './undefined.js';
import { UnsafeTexts } from './unsafe.js';
import { needsApply } from './pending.js';
import { rawVar } from './lazy.js';
import { registerRenderedSecrets, secretReadCount } from '../log/secrets.js';
import './filters.js';
import './tests.js';

import type { TemplateContext, Vars } from './types.js';
export type { TemplateContext, Vars } from './types.js';
export interface TemplarOptions {
  searchPaths?: string[];
  env?: NodeJS.ProcessEnv;
  /** Compiled templates kept (oldest dropped first); default MAX_CACHED. */
  cacheSize?: number;
  /** The run's data never templated (registered results, facts): one run's, not a module global. */
  unsafe?: UnsafeTexts;
}

/** ansible's Templar.SINGLE_VAR: `{{ name }}` returns a number or bool variable as it is. */
const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}$/;

/** ansible_eval_concat's test for text worth a literal_eval. */
function looksLiteral(text: string): boolean {
  return text.startsWith('{') || text.startsWith('[') || text === 'True' || text === 'False';
}
const TEMPLATE_START = /\{\{|\{%|\{#/;

/** Extra render state for lookups and the "raw value only" mode of evaluate(). */
class RenderState implements LookupContext {
  constructor(
    readonly templar: Templar,
    readonly vars: Vars,
    readonly tctx: TemplateContext | undefined,
    readonly searchPaths: string[],
    readonly env: NodeJS.ProcessEnv,
    readonly files: Map<string, string>,
  ) {}
  render(source: string, vars: Vars, file: string): unknown {
    // The task's line is no line of this file: an error here names the file, and a syntax error its own line.
    return this.templar.templateFile(source, vars, { ...this.tctx, file, line: undefined });
  }
}

function cloneData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneData);
  if (isMapping(v)) {
    const out: Vars = {};
    for (const k of Object.keys(v)) out[k] = cloneData(v[k]);
    return out;
  }
  return v;
}

interface Entry {
  c: Compiled;
  texts?: string[];
  /** The variable whose absence makes the whole template `omit` (see omitGuard). */
  omitUnless?: string;
}

/**
 * `{{ x | default(omit) }}` and `{{ expr if x is defined else omit }}`, the idioms of an optional
 * module argument: when no variable `x` exists they are `omit` whatever else they say, so that
 * answer needs no render (a task's optional arguments, templated per host × task). Only the
 * absence is short-cut: a defined `x` renders as always. An `expr` holding `if` or `else` could
 * parse differently and is not recognised.
 */
const OMIT_DEFAULT = /^\{\{\s*([A-Za-z_]\w*)\s*\|\s*(?:default|d)\(\s*omit\s*\)\s*\}\}$/;
const OMIT_UNLESS_DEFINED = /^\{\{\s*(.+?)\s+if\s+([A-Za-z_]\w*)\s+is\s+defined\s+else\s+omit\s*\}\}$/;
function omitGuard(source: string): string | undefined {
  const d = OMIT_DEFAULT.exec(source);
  if (d) return d[1];
  const u = OMIT_UNLESS_DEFINED.exec(source);
  return u && !/\b(if|else)\b/.test(u[1]) ? u[2] : undefined;
}

/** A condition that only asks whether a variable exists (`x is defined`, `x is not defined`). */
const DEFINED_TEST = /^\s*([A-Za-z_]\w*)\s+is\s+(not\s+)?defined\s*$/;

/** Host vars can hold a distinct template per host: keep memory bounded (oldest out first). */
function bounded<K, V>(m: Map<K, V>, max: number): Map<K, V> {
  if (m.size >= max) m.delete(m.keys().next().value!);
  return m;
}

/** Distinct compiled templates kept per Templar (a compiled template is a few kB). */
export const MAX_CACHED = 5000;

/** Newlines ending `s`, counted from the end (a regex would scan the whole text for them). */
function trailingNewlines(s: string): number {
  let i = s.length;
  while (i > 0 && s.charCodeAt(i - 1) === 10) i--;
  return s.length - i;
}

export class Templar {
  private readonly env = newEnvironment();
  private readonly cache = new Map<string, Entry>();
  private readonly fileCache = new Map<string, Entry>();
  /** Compiled code by shape (see splitText): many sources can share one. */
  private readonly shapes = new Map<string, Compiled>();
  private readonly searchPaths: string[];
  private readonly procEnv: NodeJS.ProcessEnv;
  private readonly cacheSize: number;
  /** Lookup files found and read during this Templar's life (see LookupContext.files). */
  private readonly files = new Map<string, string>();
  /**
   * Text a string-type filter (to_json...) ended a template with, looking like a literal: ansible
   * marks it NativeJinjaText, a mark the value keeps in facts, vars and registered results, so a
   * later "{{ x }}" alone returns it as text too. A JS string cannot carry a mark: remembered by value.
   */
  private readonly nativeTexts = new Set<string>();
  readonly unsafe: UnsafeTexts;

  constructor(opts: TemplarOptions = {}) {
    this.unsafe = opts.unsafe ?? new UnsafeTexts();
    this.searchPaths = opts.searchPaths ?? [];
    this.procEnv = opts.env ?? process.env;
    this.cacheSize = Math.max(1, opts.cacheSize ?? MAX_CACHED);
    this.env.filters = filters; // shared registries: later registrations are seen too
    this.env.tests = tests;
    const state = (ctx: JinjaContext) => ctx.extra as RenderState;
    this.env.globals.lookup = function (this: JinjaContext, ...args: unknown[]) {
      return lookup(state(this), args);
    };
    this.env.globals.query = this.env.globals.q = function (this: JinjaContext, ...args: unknown[]) {
      return query(state(this), args);
    };
    this.env.globals.dict = (...args: unknown[]) => {
      const { pos, kw } = kwargs(args);
      return { ...(isMapping(pos[0]) ? pos[0] : {}), ...kw };
    };
  }

  /** How many compiled templates are cached (for tests and diagnostics). */
  get cachedTemplates(): number {
    return this.shapes.size;
  }

  isTemplate(value: unknown): boolean {
    return hasTemplate(value);
  }

  template(value: unknown, vars: Vars, ctx?: TemplateContext): unknown {
    if (typeof value === 'string') return this.templateString(value, vars, ctx);
    // Data without templates (facts from the OTA server, registered results) comes back as it is:
    // copying it for every host × task was most of the run's garbage at 100k devices.
    if (typeof value !== 'object' || value === null || this.unsafe.has(value) || !hasTemplate(value)) return value;
    if (Array.isArray(value)) return value.map((v) => this.template(v, vars, ctx));
    if (isMapping(value)) {
      const out: Vars = {};
      for (const k of Object.keys(value)) out[k] = this.template(value[k], vars, ctx); // 2.14 leaves keys alone
      return out;
    }
    return value;
  }

  evaluate(expr: string, vars: Vars, ctx?: TemplateContext): unknown {
    const source = `{{ ${expr} }}`;
    const context = this.run(source, vars, ctx, { rawOnly: true, escape: true }).context;
    const v = context.raw;
    return v instanceof SoftUndefined ? undefined : v;
  }

  conditional(cond: unknown, vars: Vars, ctx?: TemplateContext): boolean {
    if (cond === null || cond === undefined || cond === '') return true;
    if (typeof cond === 'boolean') return cond;
    if (Array.isArray(cond)) return cond.every((c) => this.conditional(c, vars, ctx));
    if (typeof cond !== 'string') return pyTruthy(cond);
    const first = this.isTemplate(cond) ? this.template(cond, vars, ctx) : cond;
    if (typeof first !== 'string' || first === '') return pyTruthy(first);
    // A variable that does not exist needs no render to say so (a defined one renders: its value may be undefined).
    const test = DEFINED_TEST.exec(first);
    if (test && this.absent(test[1], vars)) return test[2] !== undefined;
    try {
      const v = this.evaluate(first, vars, ctx);
      return pyTruthy(v);
    } catch (e) {
      if (e instanceof FleetFailure) {
        const error: FleetError = { ...e.error, message: `The conditional check '${cond}' failed: ${e.error.message}` };
        throw new FleetFailure(error);
      }
      throw e;
    }
  }

  /** A template file (lookup('template')): ansible renders those without escape_backslashes. */
  templateFile(source: string, vars: Vars, ctx?: TemplateContext): unknown {
    const reads = secretReadCount();
    const out = this.templateString(source, vars, ctx, false);
    // A configuration file: its values under secret keys (wifi_psk…) are secrets, whatever fed them.
    registerRenderedSecrets(out, reads !== secretReadCount());
    return out;
  }

  private templateString(s: string, vars: Vars, ctx?: TemplateContext, escape = true): unknown {
    if (!TEMPLATE_START.test(s) || this.unsafe.has(s)) return s;
    const single = SINGLE_VAR.exec(s);
    if (single && single[1] in vars) {
      const v = vars[single[1]];
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
    }
    const entry = this.compiled(s, escape, ctx);
    if (entry.omitUnless !== undefined && 'omit' in vars && this.absent(entry.omitUnless, vars))
      return rawVar(vars, 'omit');
    const { compiled, context, text } = this.run(s, vars, ctx, { rawOnly: false, escape }, entry);
    if (compiled.single && (Array.isArray(context.raw) || isMapping(context.raw))) return cloneData(context.raw);
    let out: unknown = text;
    if (looksLiteral(text)) {
      if (compiled.nativeText) return this.keepNative(text);
      if (compiled.stored && this.nativeTexts.has(text)) return text;
      const v = literalEval(text);
      if (v !== LITERAL_FAIL) out = v;
    }
    const wanted = trailingNewlines(s);
    if (wanted > 0 && typeof out === 'string') {
      const missing = wanted - trailingNewlines(out);
      if (missing > 0) out += '\n'.repeat(missing);
    }
    return out;
  }

  private keepNative(text: string): string {
    // Not bounded: forgetting a text would change what a template returns.
    this.nativeTexts.add(text);
    return text;
  }

  /** Cached by the caller's own string (same object each host: its hash is computed once). */
  private compiled(source: string, escape: boolean, ctx?: TemplateContext): Entry {
    const cache = escape ? this.cache : this.fileCache;
    let entry = cache.get(source);
    if (!entry) {
      // Jinja drops one trailing newline (keep_trailing_newline=False); ansible adds them back.
      const src = source.endsWith('\n') ? source.slice(0, -1) : source;
      const split = splitText(src);
      const shape = split ? split.shape : src;
      const key = escape ? shape : `\u0000${shape}`;
      let c = this.shapes.get(key);
      if (!c) {
        try {
          c = compileTemplate(preprocess(shape, escape), this.env, ctx?.file ?? 'template');
        } catch (e) {
          throw this.failure(split ? this.unshapedError(src, escape, e) : e, source, ctx, true);
        }
        bounded(this.shapes, this.cacheSize).set(key, c);
      }
      entry = { c, texts: split?.texts, omitUnless: omitGuard(src) };
      bounded(cache, this.cacheSize).set(source, entry);
    }
    return entry;
  }

  /** Positions in a shape are off where text was folded away: take the error of the source itself. */
  private unshapedError(src: string, escape: boolean, fallback: unknown): unknown {
    try {
      compileTemplate(preprocess(src, escape), this.env, 'template');
    } catch (e) {
      return e;
    }
    return fallback;
  }

  /** No variable and no global (lookup, dict…) of that name. */
  private absent(name: string, vars: Vars): boolean {
    return !(name in vars) && !(name in this.env.globals);
  }

  private run(
    source: string,
    vars: Vars,
    ctx: TemplateContext | undefined,
    opts: { rawOnly: boolean; escape: boolean },
    entry = this.compiled(source, opts.escape, ctx),
  ) {
    const { c: compiled, texts } = entry;
    const context = new JinjaContext(
      this.env,
      vars,
      new RenderState(this, vars, ctx, this.searchPaths, this.procEnv, this.files),
    );
    context.rawOnly = opts.rawOnly;
    context.single = compiled.single;
    context.texts = texts;
    try {
      return { compiled, context, text: renderCompiled(compiled, context) };
    } catch (e) {
      throw this.failure(e, source, ctx);
    }
  }

  /** Every error leaves the Templar as a FleetFailure naming the template, file, task and host. */
  private failure(e: unknown, source: string, ctx?: TemplateContext, isSyntax = false): Error {
    if (e instanceof FleetFailure) return e;
    // Not a template error: the template read a value the apply phase gives (the task waits for it).
    const waits = needsApply(e);
    if (waits) return waits;
    const where = { file: ctx?.file, line: ctx?.line };
    const context: Record<string, unknown> = { template: source };
    if (ctx?.task) context.task = ctx.task;
    if (ctx?.host) context.host = ctx.host;
    const inTask = `${ctx?.task ? ` in task "${ctx.task}"` : ''}${ctx?.host ? ` for host ${ctx.host}` : ''}`;
    const tail = `, while templating ${JSON.stringify(source)}`;
    const cause = (e as { cause?: unknown }).cause;
    const undef =
      e instanceof UndefinedVariable ? e.undef : cause instanceof UndefinedVariable ? cause.undef : undefined;
    if (undef) {
      return new FleetFailure({
        code: 'template.undefined',
        message: `undefined variable${inTask}: ${undef.hint ? `${undef.name} (${undef.hint})` : `'${undef.name}' is undefined`}${tail}`,
        hint: undefinedHint(undef),
        ...where,
        context: { ...context, variable: undef.name },
      });
    }
    const { message, line, column } = nunjucksMessage(e);
    // Only the parser knows exact positions; runtime errors carry the enclosing call's at best.
    const at = isSyntax && line ? ` (template line ${line}, column ${column})` : '';
    // A template file (no task line in ctx): its own line is the file's line.
    if (isSyntax && line && where.file && where.line === undefined) Object.assign(where, { line, column });
    const unknown = /^(filter not found: |no test named )'?([\w.]+)/.exec(message);
    return new FleetFailure({
      code: isSyntax ? 'template.syntax' : unknown ? 'template.unknown-plugin' : 'template.error',
      message: `${isSyntax ? 'template syntax error' : 'template error'}${inTask}: ${message}${at}${tail}`,
      hint: isSyntax
        ? 'check the Jinja2 syntax: {{ expression }}, {% if cond %}...{% endif %}, filters after |'
        : unknown
          ? `check the spelling of '${unknown[2]}'; docs/playbooks.md ("Templating") lists the supported filters and tests`
          : undefined,
      ...where,
      context,
    });
  }
}

/** Whether a string inside `v` (keys included) holds a template; walks without allocating. */
function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return TEMPLATE_START.test(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (hasTemplate(v[i])) return true;
    return false;
  }
  if (!isMapping(v)) return false;
  for (const k in v) if (TEMPLATE_START.test(k) || hasTemplate(v[k])) return true;
  return false;
}

function undefinedHint(u: Undefined): string {
  if (u.name === '(inline if)') return 'add an else branch: {{ a if cond else b }}';
  const dot = Math.max(u.name.lastIndexOf('.'), u.name.lastIndexOf('['));
  if (u.hint && dot > 0)
    return `check that ${u.name.slice(0, dot)} has that key, or write {{ ${u.name} | default('...') }}`;
  return `define ${u.name.split(/[.[]/)[0]} (inventory, group_vars/, host_vars/ or vars:) or write {{ ${u.name} | default('...') }}`;
}

/** nunjucks wraps errors as "(path) [Line n, Column m]\n  Error: text"; keep the text and the position. */
function nunjucksMessage(e: unknown): { message: string; line?: number; column?: number } {
  const raw = e instanceof Error ? e.message : String(e);
  const pos = /\[Line (\d+), Column (\d+)\]/.exec(raw);
  const err = e as { lineno?: number; colno?: number };
  const message = raw
    .replace(/^\(.*?\)\s*(\[Line \d+, Column \d+\])?\s*/, '')
    .replace(/^(Template render error: |Error: )/, '')
    .replace(/^parse\w*: /, '')
    .trim();
  // nunjucks' parser adds 1 to line and column and its TemplateError adds 1 again
  if (pos) return { message, line: Number(pos[1]) - 1, column: Number(pos[2]) - 1 };
  if (typeof err.lineno === 'number') return { message, line: err.lineno, column: err.colno ?? 0 };
  return { message };
}

export { Undefined };
