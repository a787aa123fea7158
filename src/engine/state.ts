/**
 * What one run changes while it goes: each host's facts, stats and place in the play, and the
 * play being run (its hosts, notified handlers, failure limits). The strategy owns it; the task
 * runner, the variable manager and the result handling read and update it.
 */
import type { Awaited, Templar, Vars } from '../template/index.js';
import type { Inventory } from '../inventory/index.js';
import type { RunMode } from '../modules/registry.js';
import type { Play, Playbook, TaskNode } from './model.js';
import type { Printer, Stats } from './output.js';
import type { TaskRecord } from './report.js';
import type { TagFilter } from './tags.js';
import type { RunContext } from '../run/context.js';

export interface HostState {
  name: string;
  facts: Vars;
  /** Left the playbook after an unrescued failure. */
  failed: boolean;
  /** meta end_host / end_play / any_errors_fatal: done with this play. */
  ended: boolean;
  stats: Stats;
  /** Had at least one task result (only those appear in the recap, as in ansible). */
  processed: boolean;
  groupNames: string[];
  layers: Vars[];
  /** Vars of the include this host is inside (loop item, include params). */
  include: Vars;
  magic?: Vars;
  magicOf?: number;
  /** A task put off until the apply set facts the plan cannot name: the host's later tasks wait too. */
  waiting?: Awaited;
}

export interface EngineOptions {
  playbook: Playbook;
  inventory: Inventory;
  templar: Templar;
  printer: Printer;
  mode: RunMode;
  checkMode: boolean;
  diff: boolean;
  forks: number;
  extraVars: Vars;
  tags: TagFilter;
  limit?: string[];
  env: NodeJS.ProcessEnv;
  verbosity: number;
  /** Receives every host × task result (for --report and tests), as it happens. */
  onRecord?: (r: TaskRecord) => void;
  /** Receives the results that fail a host (for the plan): cheaper than every record. */
  onFailure?: (f: Pick<TaskRecord, 'host' | 'action' | 'result'>) => void;
  /** --start-at-task: tasks are skipped until the first one this matches (handlers aside). */
  startAt?: (t: TaskNode) => boolean;
  /** The run's services (OTA sessions and their counters), handed to every module call. */
  run?: RunContext;
}

export interface PlayState {
  play: Play;
  hosts: HostState[];
  roleDefaults: Vars;
  roleVars: Vars;
  notified: Map<TaskNode, Set<HostState>>;
  maxFailPct?: number;
  anyErrorsFatal: boolean;
  ended: boolean;
  hostvars: Vars;
  groups: Record<string, string[]>;
  /** Names of the current batch's hosts (ansible_play_hosts) and an id for caches keyed on it. */
  names: string[];
  batchId: number;
}

/** Counts a result the task runner did not make (meta, include, a handler not found). */
export function bump(h: HostState, key: keyof Stats): void {
  h.stats[key]++;
  h.processed = true;
}
