/**
 * The keywords of plays, blocks, tasks and role entries as the loader checks them: zod's
 * errors turned into file:line messages, and what a block, role or import passes to the tasks
 * inside it.
 */
import type { z } from 'zod';
import { fleetError, type FleetError } from '../errors/index.js';
import { shortName } from '../plugins/fqcn.js';
import type { Inherit } from './model.js';
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

/** What a block, role entry or import passes down to the tasks inside it. */
export function inheritFrom(parent: Inherit, kw: Record<string, unknown>): Inherit {
  const out: Inherit = { ...parent };
  const when = kw.when;
  if (when !== undefined) out.when = [...asList(parent.when), ...asList(when)];
  if (kw.tags !== undefined) out.tags = [...asList(parent.tags), ...asList(kw.tags)];
  if (kw.vars !== undefined) out.vars = { ...(parent.vars ?? {}), ...(kw.vars as object) };
  for (const k of [
    'environment',
    'ignore_errors',
    'no_log',
    'check_mode',
    'diff',
    'run_once',
    'delegate_to',
    'any_errors_fatal',
    'notify',
  ] as const) {
    if (kw[k] !== undefined) (out as Record<string, unknown>)[k] = kw[k];
  }
  return out;
}
