/** Host variables that reference each other, resolved on first use (like ansible's lazy templating). */
import { FleetFailure } from '../errors/index.js';
import type { Templar, TemplateContext, Vars } from './templar.js';

/**
 * Later layers win key by key (hash_behaviour=replace). A value is templated on first access,
 * with the same lazy view as its variables, and remembered; a cycle is an error naming the chain.
 */
export function lazyVars(layers: Vars[], templar: Templar, ctx?: TemplateContext): Vars {
  const raw: Vars = Object.assign(Object.create(null), ...layers);
  const done = new Map<string, unknown>();
  const resolving: string[] = [];
  const view: Vars = new Proxy(raw, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      if (done.has(key)) return done.get(key);
      if (!(key in target)) return undefined;
      const at = resolving.indexOf(key);
      if (at >= 0) {
        const chain = [...resolving.slice(at), key].join(' → ');
        throw new FleetFailure({
          code: 'template.cycle',
          message: `variables refer to each other in a cycle: ${chain}${ctx?.host ? ` (host ${ctx.host})` : ''}`,
          hint: `give one of ${resolving.slice(at).join(', ')} a value that does not use the others`,
          file: ctx?.file,
          line: ctx?.line,
          context: { chain: [...resolving.slice(at), key], task: ctx?.task, host: ctx?.host },
        });
      }
      resolving.push(key);
      try {
        const value = templar.template(target[key], view, ctx);
        done.set(key, value);
        return value;
      } finally {
        resolving.pop();
      }
    },
    set(target, key, value) {
      if (typeof key !== 'string') return false;
      target[key] = value;
      done.set(key, value); // a value set from outside (set_fact) is final, not templated again
      return true;
    },
  });
  return view;
}
