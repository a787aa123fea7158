/** Lookups (`lookup('env', 'HOME')`, `lookup('template', 'config.json.j2')`) and query()/q(). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { kwargs } from './args.js';
import { pyStr } from './python.js';
import { shortName } from '../plugins/fqcn.js';
import { lookups, registerLookup, type LookupContext } from './registry.js';
import { isMapping } from './python.js';
import { isSecretKey, noteRead, registerSecret } from '../log/secrets.js';

/** Like ansible's find_file_in_search_path: each search path, then its `files/` or `templates/`. */
export function findFile(ctx: LookupContext, term: string, subdir: 'files' | 'templates'): string {
  // A role's task searches its own role first (ansible_search_path), then the run's paths.
  const own = ctx.vars.ansible_search_path;
  const paths = Array.isArray(own) ? [...new Set([...own.map(String), ...ctx.searchPaths])] : ctx.searchPaths;
  if (isAbsolute(term)) {
    if (existsSync(term)) return term;
  } else {
    for (const base of paths) {
      for (const candidate of [join(base, subdir, term), join(base, term)]) {
        if (existsSync(candidate) && statSync(candidate).isFile()) return resolve(candidate);
      }
    }
  }
  const where = paths.length
    ? ` (searched ${paths.map((p) => `${p}, ${join(p, subdir)}`).join('; ')})`
    : ' (no search paths configured)';
  throw new Error(`could not locate file in lookup: ${term}${where}`);
}

/**
 * Values of secret-looking variables (INFLUX_TOKEN...) and of variables named as a declared secret
 * key (WIFI_PSK for `secret_keys: [wifi_psk]`) are registered, so logs and reports mask them, and
 * counted as read, so what the template derives from them is masked too.
 */
registerLookup('env', (ctx, terms, kw) =>
  terms.map((t) => {
    const name = pyStr(t);
    const value = ctx.env[name];
    if (value === undefined) return pyStr(kw.default ?? '');
    if (isSecretKey(name)) registerSecret(value);
    noteRead(value);
    return value;
  }),
);

/** A lookup file's path and text, found and read once per Templar when it keeps a cache. */
function fileOf(ctx: LookupContext, term: string, subdir: 'files' | 'templates'): { file: string; text: string } {
  // A role's task searches its own role first: the same name may be another file there.
  const own = ctx.vars.ansible_search_path;
  const key = `${subdir}\u0000${term}\u0000${Array.isArray(own) ? own.join('\u0000') : ''}`;
  const cache = ctx.files;
  const file = cache?.get(key) ?? findFile(ctx, term, subdir);
  let text = cache?.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8');
    cache?.set(key, file).set(file, text);
  }
  return { file, text };
}

registerLookup('file', (ctx, terms, kw) =>
  terms.map((t) => {
    let s = fileOf(ctx, pyStr(t), 'files').text;
    if (kw.rstrip !== false) s = s.trimEnd();
    if (kw.lstrip === true) s = s.trimStart();
    return s;
  }),
);

registerLookup('template', (ctx, terms, kw) =>
  terms.map((t) => {
    const { file, text } = fileOf(ctx, pyStr(t), 'templates');
    const extra = isMapping(kw.template_vars) ? kw.template_vars : {};
    const vars = Object.keys(extra).length
      ? (Object.assign(Object.create(ctx.vars), extra) as typeof ctx.vars)
      : ctx.vars;
    return ctx.render(text, vars, file);
  }),
);

function run(ctx: LookupContext, args: unknown[]): { result: unknown[]; wantlist: boolean } {
  const { pos, kw } = kwargs(args);
  const [name, ...terms] = pos;
  const fn = lookups[shortName(pyStr(name), 'lookup')];
  if (!fn)
    throw new Error(`lookup plugin '${pyStr(name)}' not found; available: ${Object.keys(lookups).sort().join(', ')}`);
  const { wantlist, ...rest } = kw;
  const flat = terms.flatMap((t): unknown[] => (Array.isArray(t) ? t : [t]));
  return { result: fn(ctx, flat, rest), wantlist: wantlist === true };
}

/** lookup(): strings are joined with commas; one non-string result comes back as itself. */
export function lookup(ctx: LookupContext, args: unknown[]): unknown {
  const { result, wantlist } = run(ctx, args);
  if (wantlist || result.length === 0) return result;
  if (result.every((r) => typeof r === 'string')) return result.join(',');
  return result.length === 1 ? result[0] : result;
}

/** query()/q(): always the list. */
export function query(ctx: LookupContext, args: unknown[]): unknown[] {
  return run(ctx, args).result;
}
