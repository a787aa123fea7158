/**
 * Plugin registries for filters, tests and lookups. Every Templar's environment shares these
 * objects, so a plugin registered later is seen by templates compiled earlier too.
 */
import nunjucks from 'nunjucks';
import { Undefined } from './undefined.js';
import { shortName } from '../plugins/fqcn.js';

/** `this` inside a filter or test: the render context (vars, templar, search paths). */
export type FilterFn = (this: any, value: unknown, ...args: unknown[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
export type TestFn = FilterFn;

export interface LookupContext {
  vars: Record<string, unknown>;
  searchPaths: string[];
  env: NodeJS.ProcessEnv;
  /**
   * Files the lookups found and read, for the life of the Templar (one run): a template lookup
   * runs for every host, the file is the same for all of them.
   */
  files?: Map<string, string>;
  /** Renders a template with the lookup's vars (the `template` lookup needs it). */
  render(source: string, vars: Record<string, unknown>, file: string): unknown;
}
/** A lookup returns a list, like ansible's LookupBase.run(terms, variables, **kwargs). */
export type LookupFn = (ctx: LookupContext, terms: unknown[], kw: Record<string, unknown>) => unknown[];

export const filters = Object.create(null) as Record<string, FilterFn>;
export const tests = Object.create(null) as Record<string, TestFn>;
export const lookups = Object.create(null) as Record<string, LookupFn>;

/** A strict Undefined reaching a filter that cannot handle it is the variable's error. */
function strictArgs(fn: FilterFn): FilterFn {
  return function (this: unknown, value: unknown, ...args: unknown[]) {
    if (value instanceof Undefined) value.fail();
    for (const a of args) if (a instanceof Undefined) a.fail();
    return fn.call(this, value, ...args);
  };
}

export interface PluginOptions {
  /** The plugin wants to see Undefined values (default, mandatory, defined...). */
  undefinedAware?: boolean;
}

export function registerFilter(name: string, fn: FilterFn, opts: PluginOptions = {}): void {
  filters[shortName(name, 'filter')] = opts.undefinedAware ? fn : strictArgs(fn);
}

/** Tests get Undefined values as they are: most type tests answer false for them. */
export function registerTest(name: string, fn: TestFn): void {
  tests[shortName(name, 'test')] = fn;
}

export function registerLookup(name: string, fn: LookupFn): void {
  lookups[shortName(name, 'lookup')] = fn;
}

// nunjucks' own filters and tests (batch, dictsort, truncate...) stay available underneath ours.
const builtins = new nunjucks.Environment() as unknown as {
  filters: Record<string, FilterFn>;
  tests: Record<string, TestFn>;
};
for (const [k, f] of Object.entries(builtins.filters)) filters[k] = strictArgs(f);
for (const [k, t] of Object.entries(builtins.tests)) tests[k] = t;
