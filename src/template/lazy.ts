/** Host variables that reference each other, resolved on first use (like ansible's lazy templating). */
import { FleetFailure } from '../errors/index.js';
import type { Templar, TemplateContext, Vars } from './templar.js';

/**
 * Later layers win key by key (hash_behaviour=replace). A value is templated on first access,
 * with the same lazy view as its variables, and remembered; a cycle is an error naming the chain.
 */
export function lazyVars(layers: Vars[], templar: Templar, ctx?: TemplateContext): Vars {
  const done = new Map<string, unknown>();
  const resolving: string[] = [];
  const has = Object.prototype.hasOwnProperty;
  /** The layer that wins for `key` (searched from the top: no merged copy per host). */
  const owner = (key: string): Vars | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) if (has.call(layers[i], key)) return layers[i];
    return undefined;
  };
  const get = (key: string): unknown => {
    if (done.has(key)) return done.get(key);
    const layer = owner(key);
    if (!layer) return undefined;
    const at = resolving.indexOf(key);
    if (at >= 0) throw cycle([...resolving.slice(at), key], ctx);
    resolving.push(key);
    try {
      const value = templar.template(layer[key], view, ctx);
      done.set(key, value);
      return value;
    } finally {
      resolving.pop();
    }
  };
  const keys = (): string[] => [...new Set([...layers.flatMap((l) => Object.keys(l)), ...done.keys()])];
  const view: Vars = new Proxy(Object.create(null) as Vars, {
    get: (_t, key) => (typeof key === 'string' ? get(key) : undefined),
    has: (_t, key) => typeof key === 'string' && (done.has(key) || owner(key) !== undefined),
    ownKeys: () => keys(),
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && (done.has(key) || owner(key)) ? { configurable: true, enumerable: true, writable: true, value: get(key) } : undefined,
    set(_t, key, value) {
      if (typeof key !== 'string') return false;
      done.set(key, value); // a value set from outside (set_fact) is final, not templated again
      return true;
    },
  });
  return view;
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
