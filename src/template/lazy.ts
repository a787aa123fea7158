/** Host variables that reference each other, resolved on first use (like ansible's lazy templating). */
import { FleetFailure, type Where } from '../errors/index.js';
import { unwrapPending } from './pending.js';
import type { TemplateContext, Templates, Vars } from './types.js';

// Called unbound as has.call(layer, key) on the hot path (every variable lookup of every host).
// eslint-disable-next-line @typescript-eslint/unbound-method
const has = Object.prototype.hasOwnProperty;

/**
 * Where a layer's variable is written (an inventory file's line), when the caller knows: a
 * template error in the value itself is then reported there, not at the task that read it.
 */
export type VarWhere = (layer: Vars, key: string, host: string | undefined) => Where | undefined;

/** Errors of a value's own text: those of other causes (undefined, cycles) are the reader's to report. */
const OWN_TEXT_ERRORS = new Set(['template.syntax', 'template.unknown-plugin']);

/**
 * One host's variables for one task. Built for every host × task (100k hosts), so it is one
 * small object behind a handler shared by all of them, not a set of closures each time.
 */
class LazyState {
  /** Values templated (or set) so far; created on the first one. */
  done: Map<string, unknown> | undefined = undefined;
  resolving: string[] | undefined = undefined;
  view!: Vars;
  constructor(
    readonly layers: Vars[],
    readonly templar: Templates,
    readonly ctx: TemplateContext | undefined,
    readonly whereOf: VarWhere | undefined,
  ) {}

  /** The layer that wins for `key` (searched from the top: no merged copy per host). */
  owner(key: string): Vars | undefined {
    const layers = this.layers;
    for (let i = layers.length - 1; i >= 0; i--) if (has.call(layers[i], key)) return layers[i];
    return undefined;
  }

  get(key: string): unknown {
    if (this.done?.has(key)) return this.done.get(key);
    const layer = this.owner(key);
    if (!layer) return undefined;
    const resolving = (this.resolving ??= []);
    const at = resolving.indexOf(key);
    if (at >= 0) throw cycle([...resolving.slice(at), key], this.ctx);
    resolving.push(key);
    try {
      // A fact a task put off sets (src/template/pending.ts): its value once the apply gave it.
      const value = this.templar.template(unwrapPending(layer[key]), this.view, this.ctx);
      (this.done ??= new Map()).set(key, value);
      return value;
    } catch (e) {
      throw this.located(e, key, layer);
    } finally {
      resolving.pop();
    }
  }

  /**
   * A syntax error (or unknown filter) in the text of `key` itself, from a file the caller can
   * point into: at that file and line, naming the variable, the host and the task that read it.
   */
  located(e: unknown, key: string, layer: Vars): unknown {
    if (!(e instanceof FleetFailure) || !OWN_TEXT_ERRORS.has(e.error.code) || e.error.context?.variable) return e;
    const where = this.whereOf?.(layer, key, this.ctx?.host);
    if (!where?.file) return e;
    const ctx = this.ctx;
    const reader = ctx?.task
      ? `, read by task "${ctx.task}"${ctx.file ? ` (${ctx.file}:${ctx.line ?? '?'})` : ''}`
      : '';
    const detail = e.error.message.replace(/^(template (?:syntax )?error)( in task "[^"]*")?( for host \S+)?: /, '');
    return new FleetFailure({
      ...e.error,
      ...where,
      message: `${/^template syntax/.test(e.error.message) ? 'template syntax error' : 'template error'} in the value of ${key}${ctx?.host ? ` for host ${ctx.host}` : ''}${reader}: ${detail}`,
      context: { ...e.error.context, variable: key },
    });
  }

  /** The value as set, before templating: what `get` has already made of it, else the winning layer's. */
  raw(key: string): unknown {
    if (this.done?.has(key)) return this.done.get(key);
    return unwrapPending(this.owner(key)?.[key]);
  }

  known(key: string): boolean {
    return this.done?.has(key) === true || this.owner(key) !== undefined;
  }

  keys(): string[] {
    return [...new Set([...this.layers.flatMap((l) => Object.keys(l)), ...(this.done?.keys() ?? [])])];
  }
}

/** Reaches a view's state (rawVar); a symbol, so no variable name can shadow it. */
const STATE = Symbol('lazy vars state');

const handler: ProxyHandler<LazyState> = {
  get: (s, key) => (typeof key === 'string' ? s.get(key) : key === STATE ? s : undefined),
  has: (s, key) => typeof key === 'string' && s.known(key),
  ownKeys: (s) => s.keys(),
  getOwnPropertyDescriptor: (s, key) =>
    typeof key === 'string' && s.known(key)
      ? { configurable: true, enumerable: true, writable: true, value: s.get(key) }
      : undefined,
  set(s, key, value) {
    if (typeof key !== 'string') return false;
    (s.done ??= new Map()).set(key, value); // a value set from outside (set_fact) is final, not templated again
    return true;
  },
  // The view has no prototype: `toString`, `constructor`... are variables or nothing.
  getPrototypeOf: () => null,
};

/**
 * Later layers win key by key (hash_behaviour=replace). A value is templated on first access,
 * with the same lazy view as its variables, and remembered; a cycle is an error naming the chain.
 */
export function lazyVars(layers: Vars[], templar: Templates, ctx?: TemplateContext, whereOf?: VarWhere): Vars {
  const state = new LazyState(layers, templar, ctx, whereOf);
  state.view = new Proxy(state, handler) as unknown as Vars;
  return state.view;
}

function cycle(chain: string[], ctx?: TemplateContext): FleetFailure {
  const names = chain.slice(0, -1);
  return new FleetFailure({
    code: 'template.cycle',
    message: `variables refer to each other in a cycle: ${chain.join(' → ')}${ctx?.host ? ` (host ${ctx.host})` : ''}`,
    hint: `give one of ${names.join(', ')} a value that does not use the others`,
    file: ctx?.file,
    line: ctx?.line,
    context: { chain, task: ctx?.task, host: ctx?.host },
  });
}

/**
 * A variable as set, not templated and not remembered: a value without a template reads the same
 * through the view, and a module that looks at one variable of 100k hosts (the mender modules
 * grouping hosts by server) then leaves no memo in every host's view. Plain objects read as they are.
 */
export function rawVar(vars: Vars, key: string): unknown {
  const state = (vars as { [STATE]?: LazyState })[STATE];
  return state instanceof LazyState ? state.raw(key) : vars[key];
}
