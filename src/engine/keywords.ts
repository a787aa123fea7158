/**
 * The keywords of plays, blocks, tasks and role entries as the loader checks them: zod's
 * errors turned into file:line messages; and, by the rules of the keyword table
 * (keyword-table.ts), what a block, role or import passes to the tasks inside it and a task's
 * effective value of a keyword.
 */
import type { z } from 'zod';
import { fleetError, type FleetError } from '../errors/index.js';
import { shortName } from '../plugins/fqcn.js';
import {
  inheritedKeywords,
  KEYWORDS,
  type Inherited,
  type InheritedKeyword,
  type KeywordTable,
  type Rule,
} from './keyword-table.js';
import type { Inherit, TaskNode } from './model.js';
import { keyLine, posOf } from './yaml.js';

/** Actions the engine itself handles (no module behind them). */
export const ENGINE_ACTIONS = new Set([
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
  'meta',
  'include',
]);

export const short = (a: string) => shortName(a, 'module');

export function zodError(e: z.ZodError, file: string, obj: object, what: string): FleetError {
  const issue = e.issues[0];
  const key = String(issue.path[0] ?? '');
  const line = (key && keyLine(obj, key)) || posOf(obj)?.line;
  if (issue.code === 'unrecognized_keys') {
    const k = (issue as { keys: string[] }).keys[0];
    return fleetError('playbook.unknown-keyword', `unknown ${what} keyword "${k}"`, {
      file,
      line: keyLine(obj, k) ?? line,
      hint: `remove "${k}" or check its spelling; see docs/playbooks.md for the supported keywords`,
    });
  }
  return fleetError('playbook.bad-value', `${what} keyword "${key}": ${issue.message}`, {
    file,
    line,
    hint: `write ${key} as ansible-core 2.14 documents it`,
  });
}

export const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** A parent's value and a child's combined by `rule` (ansible's `_extend_value` for lists). */
function combine(rule: Rule, parent: unknown, own: unknown): unknown {
  if (own === undefined) return parent;
  if (rule === 'extend') return [...asList(parent), ...asList(own)];
  if (rule === 'merge') return { ...(isObj(parent) ? parent : {}), ...(isObj(own) ? own : {}) };
  return own;
}

/**
 * What a block, role entry, static import or play (`kw`) passes down to the tasks inside it:
 * every inherited keyword of the table combined with what `parent` already carries.
 */
export function inheritFrom(parent: Inherit, kw: Record<string, unknown>): Inherit {
  const out: Record<string, unknown> = { ...parent };
  for (const name of inheritedKeywords) {
    if (kw[name] !== undefined) out[name] = combine(KEYWORDS[name].rule, parent[name], kw[name]);
  }
  return out;
}

/**
 * What a dynamic include (include_tasks, include_role) passes to the tasks it loads: only its
 * `vars`. Its other keywords apply to the include itself, as in ansible, where the included
 * blocks skip a parent that was not statically loaded (`tags` on include_tasks do not tag the
 * included tasks; `apply:` would, and is not supported).
 */
export function inheritThroughInclude(t: TaskNode): Inherit {
  return { ...t.inherit, vars: combine('merge', t.inherit.vars, t.kw.vars) as Record<string, unknown> | undefined };
}

/**
 * Each task's effective values, computed once: the loaded playbook does not change while it runs,
 * and combining per host × task made a list or mapping per call (millions at 100k devices).
 * Keyed weakly by the node, so a dynamic include's tasks go with it.
 */
const effectiveOf = new WeakMap<TaskNode, Map<InheritedKeyword, unknown>>();

/** A task's value of keyword `name`: its own combined with what encloses it, by the table's rule (shared: do not modify). */
export function effective<K extends InheritedKeyword>(t: TaskNode, name: K): Effective<K> {
  let memo = effectiveOf.get(t);
  if (!memo) effectiveOf.set(t, (memo = new Map<InheritedKeyword, unknown>()));
  if (memo.has(name)) return memo.get(name) as Effective<K>;
  const rule = KEYWORDS[name].rule;
  const v = combine(rule, t.inherit[name], t.kw[name]);
  const out = rule === 'extend' ? asList(v) : v;
  memo.set(name, out);
  return out as Effective<K>;
}

/** `effective`'s value: an `inherit` keyword may be unset; `extend` is a list and `merge` a mapping once set. */
type Effective<K extends InheritedKeyword> = KeywordTable[K]['rule'] extends 'extend'
  ? unknown[]
  : Inherited<K> | undefined;
