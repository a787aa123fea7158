/**
 * The play iterator's part that is not about tasks (ansible's play_iterator.py and
 * PlaybookExecutor._get_serialized_batches): a play's hosts, its serial batches and its state.
 */
import type { Templar, Vars } from '../template/index.js';
import { asList } from './keywords.js';
import type { Play } from './model.js';
import type { HostState, PlayState } from './state.js';
import { truthy } from './task.js';

/** serial: 2, "30%", [1, "50%"] — the last size repeats until every host has had its turn. */
export function serialBatches(serial: unknown, hosts: HostState[], templar: Templar): HostState[][] {
  if (serial === undefined || serial === null) return [hosts];
  const sizes = asList(templar.template(serial, {})).map((s) => {
    const str = String(s).trim();
    const n = str.endsWith('%') ? Math.floor((hosts.length * Number(str.slice(0, -1))) / 100) : Number(str);
    return Math.max(1, Number.isFinite(n) ? n : hosts.length);
  });
  const out: HostState[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k++, sizes.length - 1)] || hosts.length;
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

/** A play's state before its first batch; `hostvars` is filled in by the caller. */
export function playState(play: Play, hosts: HostState[], groups: Record<string, string[]>): PlayState {
  return {
    play,
    hosts,
    roleDefaults: Object.assign({}, ...play.roles.map((r) => r.defaults)) as Vars,
    roleVars: Object.assign({}, ...play.roles.map((r) => r.vars)) as Vars,
    notified: new Map(),
    maxFailPct: play.kw.max_fail_percentage !== undefined ? Number(play.kw.max_fail_percentage) : undefined,
    anyErrorsFatal: truthy(play.kw.any_errors_fatal),
    ended: false,
    hostvars: {},
    groups,
    names: [],
    batchId: 0,
  };
}

let batchIds = 0;

/** Makes `batch` the play's current batch (its own id: magic variables are cached per batch). */
export function enterBatch(ps: PlayState, batch: HostState[]): void {
  ps.hosts = batch;
  ps.names = batch.map((h) => h.name);
  ps.batchId = ++batchIds;
  ps.ended = false;
}
