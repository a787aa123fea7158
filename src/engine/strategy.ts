/**
 * The linear strategy: each task runs on every active host of the batch (up to `forks` at
 * once), then the next task. A failed host leaves the play; blocks rescue; handlers run at
 * flush points; serial batches; max_fail_percentage; any_errors_fatal; run_once.
 */
import { fleetError, type FleetError } from '../errors/index.js';
import type { DeferredWrite, PlanEntry } from '../modules/registry.js';
import type { ApplyOutcome } from '../plan/model.js';
import type { ApplyTask, PlanFailure } from './apply.js';
import { ApplyQueue, runDeferred } from './deferred.js';
import { runInclude } from './includes.js';
import { effective } from './keywords.js';
import { enterBatch, playState, serialBatches } from './iterator.js';
import type { BlockNode, Node, Play, TaskNode } from './model.js';
import { Results, taskName } from './results.js';
import { bump, type EngineOptions, type HostState, type PlayState } from './state.js';
import { selectedByTags } from './tags.js';
import { conditions, moduleOf, truthy } from './task.js';
import { TaskRunner } from './task-runner.js';
import { VariableManager } from './variables.js';

export class Engine {
  readonly plan: (PlanEntry & { task: string; apply?: ApplyOutcome })[] = [];
  readonly errors: FleetError[] = [];
  /** The plan phase's writes and the tasks put off, in task order (src/engine/apply.ts runs them). */
  readonly queue: ApplyQueue;
  readonly vars: VariableManager;
  readonly results: Results;
  readonly runner: TaskRunner;
  private startAt: ((t: TaskNode) => boolean) | undefined;
  /** Blocks with rescue or always whose `block:` part is running: a failure there is not yet fatal. */
  private guarded = 0;

  constructor(readonly o: EngineOptions) {
    this.startAt = o.startAt;
    this.vars = new VariableManager(o);
    this.queue = new ApplyQueue(o.templar.unsafe);
    this.results = new Results(o, this.vars, this.queue);
    this.runner = new TaskRunner(o, this.vars, this.plan, this.queue.writes);
  }

  get writes(): readonly DeferredWrite[] {
    return this.queue.writes;
  }

  /** The tasks put off, as the apply phase runs them: in task order, with their modules writing at once. */
  deferredTasks(): ApplyTask[] {
    const runner = new TaskRunner(this.o, this.vars, this.plan, this.queue.writes, 'apply');
    return this.queue.tasks.map((d) => ({
      after: d.after,
      hosts: d.hosts.map((e) => e.h.name),
      run: (skip) => runDeferred(d, skip, runner, this.results, this.o.printer),
    }));
  }

  get states(): Map<string, HostState> {
    return this.vars.states;
  }

  get failures(): readonly PlanFailure[] {
    return this.results.failures;
  }

  /** True while --start-at-task has matched no task yet. */
  get startAtPending(): boolean {
    return this.startAt !== undefined;
  }

  async run(): Promise<void> {
    for (const play of this.o.playbook.plays) {
      const ok = await this.runPlay(play);
      if (!ok) break;
    }
  }

  private playHosts(play: Play): string[] | undefined {
    const pattern = Array.isArray(play.kw.hosts) ? play.kw.hosts.join(',') : play.kw.hosts;
    const m = this.o.inventory.match(pattern);
    const unmatched = this.o.inventory.unmatched(pattern);
    if (unmatched.length)
      this.o.printer.warn(unmatched.map((p) => `Could not match supplied host pattern, ignoring: ${p}`));
    if (!m.ok) {
      this.errors.push({ ...m.error, file: play.file, line: play.line });
      return undefined;
    }
    const limit = this.o.limit ? new Set(this.o.limit) : undefined;
    return m.value.filter((h) => !limit || limit.has(h));
  }

  /** false when the playbook must stop (a usage error). */
  private async runPlay(play: Play): Promise<boolean> {
    const names = this.playHosts(play);
    if (!names) return false;
    this.o.printer.play(play.name);
    const all = names.map((h) => this.vars.state(h)).filter((s) => !s.failed);
    if (!all.length) {
      this.o.printer.line('skipping: no hosts matched');
      return true;
    }
    for (const s of all) s.ended = false;
    const batches = serialBatches(play.kw.serial, all, this.o.templar);
    const ps = playState(play, all, this.vars.groups);
    ps.hostvars = this.vars.hostvarsProxy(ps);
    for (const batch of batches) {
      enterBatch(ps, batch);
      for (const section of [play.pre, play.main, play.post]) {
        await this.runNodes(section, ps, batch);
        await this.flushHandlers(ps);
      }
      if (batch.every((h) => h.failed)) break;
      if (ps.ended && batch.some((h) => h.failed)) break;
    }
    return true;
  }

  private active(hosts: HostState[], ps: PlayState): HostState[] {
    return ps.ended ? [] : hosts.filter((h) => !h.failed && !h.ended);
  }

  async runNodes(nodes: Node[], ps: PlayState, hosts: HostState[]): Promise<void> {
    for (const n of nodes) {
      if (!this.active(hosts, ps).length) return;
      if (n.kind === 'block') await this.runBlock(n, ps, hosts);
      else await this.runTask(n, ps, hosts, false);
    }
  }

  private async runBlock(b: BlockNode, ps: PlayState, hosts: HostState[]): Promise<void> {
    const entered = this.active(hosts, ps);
    const guards = b.rescue.length > 0 || b.always.length > 0;
    if (guards) this.guarded++;
    try {
      await this.runNodes(b.block, ps, entered);
    } finally {
      if (guards) this.guarded--;
    }
    if (b.rescue.length) {
      const failed = entered.filter((h) => h.failed && !h.ended);
      if (failed.length && !ps.ended) {
        for (const h of failed) {
          h.failed = false;
          h.stats.failed--;
          // ansible counts a host as rescued when it enters rescue, even if rescue fails too.
          h.stats.rescued++;
          h.facts.ansible_failed_result = h.facts.__fleetplay_last_failed;
        }
        await this.runNodes(b.rescue, ps, failed);
      }
    }
    if (b.always.length) {
      const failed = entered.filter((h) => h.failed);
      for (const h of failed) h.failed = false;
      const wasEnded = ps.ended;
      await this.runNodes(
        b.always,
        ps,
        entered.filter((h) => !h.ended),
      );
      ps.ended = ps.ended || wasEnded;
      for (const h of failed) h.failed = true;
    }
  }

  private async runTask(t: TaskNode, ps: PlayState, hosts: HostState[], handler: boolean): Promise<void> {
    if (!handler && !selectedByTags(t, this.o.tags)) return;
    // As ansible's play iterator: one match starts every later play and serial batch from its first task.
    if (!handler && this.startAt) {
      if (!this.startAt(t)) return;
      this.startAt = undefined;
    }
    let targets = this.active(hosts, ps);
    if (!targets.length) return;
    if (t.action === 'meta') return this.runMeta(t, ps, targets);
    if (t.action === 'include_tasks' || t.action === 'include_role' || t.action === 'include')
      return runInclude(this, t, ps, targets);
    this.o.printer.task(taskName(t), handler);
    const runOnce = truthy(effective(t, 'run_once')) || moduleOf(t).bypassHostLoop === true;
    if (runOnce) targets = targets.slice(0, 1);
    const started = Date.now();
    await this.runner.run(t, ps, targets, (h, o) =>
      this.results.finish(t, ps, h, o, started, runOnce ? this.active(hosts, ps) : [h]),
    );
    this.queue.seal();
    await this.o.printer.drained();
    const fatal = runOnce || truthy(effective(t, 'any_errors_fatal'));
    this.afterTask(ps, hosts, fatal && targets.some((h) => h.failed));
  }

  /**
   * max_fail_percentage and any_errors_fatal after each task; `fatalFailed`: a task whose
   * any_errors_fatal (its own or inherited) or run_once is set failed on a host (ansible's linear
   * strategy). Not while a block with rescue or always runs: its failed hosts go there first
   * (ansible leaves hosts in RESCUE/ALWAYS out). Ending the play that way says NO MORE HOSTS LEFT.
   */
  afterTask(ps: PlayState, hosts: HostState[], fatalFailed: boolean): void {
    if (ps.ended) return;
    const failed = ps.hosts.filter((h) => h.failed).length;
    const overMax = ps.maxFailPct !== undefined && (failed / ps.hosts.length) * 100 > ps.maxFailPct;
    const fatal = (ps.anyErrorsFatal || fatalFailed) && this.guarded === 0 && hosts.some((h) => h.failed);
    if (!overMax && !fatal) return;
    ps.ended = true;
    // ansible says it once for max_fail_percentage, and once more as every host then counts as failed.
    if (overMax) this.o.printer.banner('NO MORE HOSTS LEFT');
    this.o.printer.banner('NO MORE HOSTS LEFT');
  }

  private async flushHandlers(ps: PlayState): Promise<void> {
    for (const hd of ps.play.handlers) {
      const set = ps.notified.get(hd);
      if (!set?.size) continue;
      ps.notified.delete(hd);
      await this.runTask(
        hd,
        ps,
        ps.hosts.filter((h) => set.has(h)),
        true,
      );
    }
  }

  private async runMeta(t: TaskNode, ps: PlayState, targets: HostState[]): Promise<void> {
    const what = String(t.args._raw_params ?? t.args.free_form ?? '');
    const hits = targets.filter((h) =>
      this.o.templar.conditional(conditions(t), this.vars.varsFor(h, t, ps), {
        file: t.file,
        line: t.line,
        host: h.name,
      }),
    );
    if (what === 'flush_handlers') return this.flushHandlers(ps);
    if (what === 'end_host') for (const h of hits) h.ended = true;
    else if (what === 'end_play') {
      if (hits.length) ps.ended = true;
    } else if (what !== 'noop') {
      this.errors.push(
        fleetError('playbook.meta', `meta: ${what} is not supported`, {
          file: t.file,
          line: t.line,
          hint: 'use meta: end_play, end_host, flush_handlers or noop',
        }),
      );
      for (const h of targets) {
        h.failed = true;
        bump(h, 'failed');
      }
    }
  }
}
