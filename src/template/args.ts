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
  const { pos, kw } = kwargs(args);
  if (pos.length > names.length)
    throw new Error(`${fn}() takes at most ${names.length} arguments (${pos.length} given)`);
  const out: Record<string, unknown> = {};
  pos.forEach((v, i) => (out[names[i]] = v));
  for (const [k, v] of Object.entries(kw)) {
    if (!names.includes(k)) throw new Error(`${fn}() got an unexpected keyword argument '${k}'`);
    out[k] = v;
  }
  return out;
}
