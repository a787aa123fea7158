/** Python-style arguments for filters, tests and lookups called from templates. */

/** nunjucks passes keyword arguments as a trailing object marked `__keywords: true`. */
export function kwargs(args: unknown[]): { pos: unknown[]; kw: Record<string, unknown> } {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last.__keywords === true) {
    const { __keywords: _k, ...kw } = last;
    return { pos: args.slice(0, -1), kw };
  }
  return { pos: args, kw: {} };
}

/**
 * Binds positional and keyword arguments to Python parameter names, e.g.
 * `bind(['default_value', 'boolean'], args)` for `default(value, default_value='', boolean=False)`.
 * Unknown keywords are an error, like a Python TypeError, so typos do not pass silently.
 */
export function bind(fn: string, names: readonly string[], args: unknown[]): Record<string, unknown> {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  const keywords = !!last && typeof last === 'object' && last.__keywords === true;
  // Most calls pass no keywords: bound without the copies kwargs() makes (filters run per host × task).
  const given = keywords ? args.length - 1 : args.length;
  if (given > names.length) throw new Error(`${fn}() takes at most ${names.length} arguments (${given} given)`);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < given; i++) out[names[i]] = args[i];
  if (!keywords) return out;
  for (const k of Object.keys(last)) {
    if (k === '__keywords') continue;
    if (!names.includes(k)) throw new Error(`${fn}() got an unexpected keyword argument '${k}'`);
    out[k] = last[k];
  }
  return out;
}
