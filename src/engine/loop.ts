/** A task's `loop:` (or `with_items:`, `with_list:`): its items, their labels and the folded result. */
import { fleetError, FleetFailure } from '../errors/index.js';
import type { Vars } from '../template/index.js';
import type { ModuleResult } from '../modules/registry.js';
import type { TaskNode } from './model.js';
import { where, type TaskEnv } from './task.js';

/** `loop:` / `with_items:` values (with_items flattens one level, as ansible does). */
export function loopItems(t: TaskNode, vars: Vars, env: TaskEnv, host: string): unknown[] | undefined {
  const spec = t.kw.loop ?? t.kw.with_items ?? t.kw.with_list;
  if (spec === undefined) return undefined;
  const v = env.templar.template(spec, vars, where(t, host));
  if (typeof v === 'string' && t.kw.loop === undefined) return [v];
  if (!Array.isArray(v)) {
    throw new FleetFailure(
      fleetError('task.loop', `loop must be a list, got ${v === null ? 'null' : typeof v}`, {
        file: t.file,
        line: t.line,
        hint: 'for a mapping write loop: "{{ mydict | dict2items }}"',
      }),
    );
  }
  const items = v as unknown[];
  return t.kw.with_items !== undefined ? items.flatMap((x): unknown[] => (Array.isArray(x) ? x : [x])) : items;
}

export function labelOf(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item);
}

/** A loop's result as ansible's TaskExecutor folds the items: `failed` only when an item failed. */
export function loopResult(results: ModuleResult[]): ModuleResult {
  if (!results.length) return { changed: false, skipped: true, skipped_reason: 'No items in the list', results };
  const skipped = results.every((r) => r.skipped);
  const failed = results.some((r) => r.failed);
  const msg = skipped ? 'All items skipped' : failed ? 'One or more items failed' : 'All items completed';
  return { results, skipped, changed: results.some((r) => r.changed), msg, ...(failed ? { failed } : {}) };
}
