/**
 * One task on its target hosts (ansible's TaskExecutor, plus the bulk path): per host with
 * `forks` in flight, or one runBatch call for every host of a bulk module. Results go to
 * `finish` in host order as soon as they are known.
 */
import { needsApply, type Vars } from '../template/index.js';
import { fleetError, FleetFailure, formatError } from '../errors/index.js';
import type { DeferredWrite, HostContext, ModuleResult, PlanEntry, Write } from '../modules/registry.js';
import type { TaskNode } from './model.js';
import { factsOf, taskName } from './results.js';
import type { EngineOptions, HostState, PlayState } from './state.js';
import { effective } from './keywords.js';
import {
  bool,
  conditions,
  invoke,
  moduleOf,
  postConditions,
  prepare,
  type ItemOutcome,
  type Outcome,
  type TaskEnv,
} from './task.js';
import type { VariableManager } from './variables.js';
import { pool } from '../run/pool.js';
import { labelOf, loopItems, loopResult } from './loop.js';
import { hostWrites } from './host-writes.js';

export type Finish = (h: HostState, o: Outcome) => void;

const censorEntry = (e: PlanEntry): PlanEntry => ({ ...e, from: censorValues(e.from), to: censorValues(e.to) });

/** A mapping's values masked, its keys kept; anything else as it is. */
function censorValues(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.keys(v).map((k) => [k, '********']));
}

export class TaskRunner {
  readonly env: TaskEnv;
  /** The plan phase of --mode run: writes are put off, and so are the tasks that read their answers. */
  private readonly planning: boolean;
  /** Writes of a per-host call not finished yet: kept only if the task is not put off for the host. */
  private readonly held = new Map<string, DeferredWrite[]>();

  /** `phase` apply: the tasks put off run now, and their modules write at once. */
  constructor(
    private readonly o: EngineOptions,
    private readonly vars: VariableManager,
    private readonly plan: (PlanEntry & { task: string })[],
    private readonly writes: DeferredWrite[],
    phase: 'plan' | 'apply' = 'plan',
  ) {
    this.env = { templar: o.templar, checkMode: o.checkMode, diff: o.diff, mode: o.mode, env: o.env, run: o.run };
    this.planning = phase === 'plan' && o.mode === 'run' && !o.checkMode;
    // Modules hand their writes over (src/engine/apply.ts sends them).
    if (this.planning) this.env.defer = (t, host) => (w) => void this.hold(t, host, w);
  }

  private hold(t: TaskNode, host: string | undefined, w: Write): DeferredWrite {
    const dw = { ...w, task: taskName(t), file: t.file, line: t.line };
    // A bulk call's write is kept at once; a per-host call's when the call is done (hostTask).
    if (host === undefined) this.writes.push(dw);
    else {
      const list = this.held.get(host);
      if (list) list.push(dw);
      else this.held.set(host, [dw]);
    }
    return dw;
  }

  /** The writes the host's call just put off, no longer held. */
  private take(host: string): DeferredWrite[] | undefined {
    const list = this.held.get(host);
    if (list) this.held.delete(host);
    return list;
  }

  /** The plan phase puts the task off for the host instead of failing it (it waits for the apply). */
  private putOff(e: unknown): Outcome | undefined {
    const waits = this.planning ? needsApply(e) : undefined;
    return waits && { result: {}, deferred: waits.awaited };
  }

  /** Runs `t` on `targets`; `finish` gets each host's outcome, in the order of `targets`. */
  async run(t: TaskNode, ps: PlayState, targets: HostState[], finish: Finish): Promise<void> {
    if (moduleOf(t).runBatch) {
      const outcomes = new Map<HostState, Outcome>();
      await this.batchTask(t, ps, targets, outcomes);
      for (const h of targets) finish(h, outcomes.get(h)!);
      return;
    }
    // Each result is printed and counted as soon as those before it are: results die young
    // (100k hosts' results kept until the last host finished cost most of the run's GC time).
    const done = new Array<Outcome | undefined>(targets.length);
    let cursor = 0;
    const settle = (i: number, o: Outcome) => {
      done[i] = o;
      for (; cursor < targets.length && done[cursor]; cursor++) {
        finish(targets[cursor], done[cursor]!);
        done[cursor] = undefined;
      }
    };
    await pool(targets, this.o.forks, (h, i) => {
      const o = this.hostTask(t, ps, h);
      return o instanceof Promise ? o.then((x) => settle(i, x)) : settle(i, o);
    });
  }

  /** A host's outcome: at once from a module that answers at once, else a promise of it. */
  private hostTask(t: TaskNode, ps: PlayState, h: HostState): Outcome | Promise<Outcome> {
    if (this.planning && h.waiting) return { result: {}, deferred: h.waiting };
    const failed = (e: unknown): Outcome => {
      this.take(h.name);
      return this.putOff(e) ?? { result: failure(e) };
    };
    // Kept now that the call is done: a task put off for the host sends only at apply.
    const kept = (o: Outcome): Outcome => {
      const writes = o.writes ?? this.take(h.name);
      if (writes) {
        for (const w of writes) this.writes.push(w);
        o.writes = writes;
      }
      return o;
    };
    try {
      const o = this.hostCall(t, ps, h);
      return o instanceof Promise ? o.then(kept, failed) : kept(o);
    } catch (e) {
      return failed(e);
    }
  }

  private hostCall(t: TaskNode, ps: PlayState, h: HostState): Outcome | Promise<Outcome> {
    const mod = moduleOf(t);
    const vars = this.vars.varsFor(h, t, ps);
    const items = loopItems(t, vars, this.env, h.name);
    if (items) return this.loop(t, ps, h, items, mod);
    if (!this.o.templar.conditional(conditions(t), vars, { file: t.file, line: t.line, host: h.name }))
      return { result: skipped() };
    const r = invoke(t, mod, vars, this.env, h.name, {});
    return r instanceof Promise ? r.then((result) => ({ result })) : { result: r };
  }

  /**
   * Bulk modules: when: and args are worked out per host, then one runBatch call serves every
   * host (one API request for many devices). Loops and until: are per-host features, not here.
   */
  private async batchTask(
    t: TaskNode,
    ps: PlayState,
    targets: HostState[],
    outcomes: Map<HostState, Outcome>,
  ): Promise<void> {
    const mod = moduleOf(t);
    const items: { host: string; args: unknown; ctx: HostContext }[] = [];
    const byName = new Map<string, { h: HostState; vars: Vars }>();
    for (const h of targets) {
      if (this.planning && h.waiting) {
        outcomes.set(h, { result: {}, deferred: h.waiting });
        continue;
      }
      try {
        if (t.kw.loop !== undefined || t.kw.with_items !== undefined || t.kw.until !== undefined) {
          throw new FleetFailure(
            fleetError(
              'task.batch-loop',
              `${t.action} serves all devices in one call: loop/until are not supported here`,
              {
                file: t.file,
                line: t.line,
                hint: 'remove loop:/until: (the module already handles every host of the play)',
              },
            ),
          );
        }
        const vars = this.vars.varsFor(h, t, ps);
        const where = { file: t.file, line: t.line, task: t.name, host: h.name };
        if (!this.o.templar.conditional(conditions(t), vars, where)) {
          outcomes.set(h, { result: skipped() });
          continue;
        }
        const call = prepare(t, mod, vars, this.env, h.name);
        if (call.kind === 'call') items.push({ host: h.name, args: call.args, ctx: call.ctx });
        // A failed preparation is judged as a failed call is (failed_when), as on the per-host path.
        else if (call.kind === 'fail')
          outcomes.set(h, { result: postConditions(t, call.result, vars, this.env, h.name, {}) });
        else outcomes.set(h, { result: call.result });
        if (call.kind !== 'call') continue;
        byName.set(h.name, { h, vars });
      } catch (e) {
        this.take(h.name);
        outcomes.set(h, this.putOff(e) ?? { result: failure(e) });
      }
    }
    if (!items.length) return;
    const name = taskName(t);
    const made: DeferredWrite[] = [];
    const defer = this.planning ? (w: Write) => void made.push(this.hold(t, undefined, w)) : undefined;
    // Worked out before the call: a closure made here shares this scope with `defer`, which the
    // deferred writes keep until the apply — it must not hold byName (every host's variables).
    const noLog = this.noLogHosts(t, byName);
    let results: Map<string, ModuleResult>;
    try {
      results = await mod.runBatch!(items, {
        name,
        report: {
          add: (entry) =>
            this.plan.push(Object.assign({}, noLog?.has(entry.host) ? censorEntry(entry) : entry, { task: name })),
        },
        defer,
      });
    } catch (e) {
      const r = failure(e);
      results = new Map(items.map((i) => [i.host, { ...r }]));
    }
    for (const i of items) for (const w of this.take(i.host) ?? []) this.writes.push(w);
    // Only a register reads which writes were a host's: no lookup per host otherwise.
    const writesOf = t.kw.register && made.length ? hostWrites(made) : undefined;
    for (const [host, { h, vars }] of byName) {
      const r = results.get(host) ?? {
        failed: true,
        changed: false,
        msg: `${t.action} returned no result for ${host}`,
      };
      // The writes were made for every host: a condition that waits for the apply fails the plan instead.
      outcomes.set(h, {
        result: postConditions(t, Object.assign({}, r), vars, this.env, host, {}),
        writes: writesOf?.get(host),
      });
    }
  }

  /**
   * The hosts whose task is `no_log`: their plan entries keep the decision and the keys (the plan
   * must still say what happens) and lose the values, as the printed result and the report do.
   */
  private noLogHosts(t: TaskNode, hosts: Map<string, { vars: Vars }>): Set<string> | undefined {
    if (effective(t, 'no_log') === undefined) return undefined;
    const out = new Set<string>();
    for (const [host, { vars }] of hosts) {
      try {
        if (bool(t, 'no_log', vars, this.o.templar)) out.add(host);
      } catch {
        out.add(host); // a no_log that cannot be worked out masks
      }
    }
    return out;
  }

  /** The items in turn; as for a single call, a module that answers at once goes on at once (see invoke). */
  private loop(
    t: TaskNode,
    ps: PlayState,
    h: HostState,
    items: unknown[],
    mod: ReturnType<typeof moduleOf>,
  ): Outcome | Promise<Outcome> {
    const lc = t.kw.loop_control ?? {};
    const loopVar = lc.loop_var ?? 'item';
    const out: ItemOutcome[] = [];
    const writes: DeferredWrite[] = [];
    const done = (i: number, label: string, r: ModuleResult) => {
      // set_fact in a loop: each item sees the facts the previous items set.
      if (r.ansible_facts && !r.failed)
        Object.assign(h.facts, factsOf(mod.name, r.ansible_facts as Vars, this.o.templar.unsafe));
      r[loopVar] = items[i];
      r.ansible_loop_var = loopVar;
      if (lc.index_var) r[lc.index_var] = i;
      const itemWrites = this.take(h.name);
      if (itemWrites) writes.push(...itemWrites);
      out.push({ result: r, label, writes: itemWrites });
    };
    const from = (start: number): Outcome | Promise<Outcome> => {
      for (let i = start; i < items.length; i++) {
        const top: Vars = { [loopVar]: items[i], ansible_loop_var: loopVar };
        if (lc.index_var) top[lc.index_var] = i;
        const vars = this.vars.varsFor(h, t, ps, top);
        const label = lc.label !== undefined ? String(this.o.templar.template(lc.label, vars)) : labelOf(items[i]);
        if (!this.o.templar.conditional(conditions(t), vars, { file: t.file, line: t.line, host: h.name })) {
          done(i, label, skipped());
          continue;
        }
        const r = invoke(t, mod, vars, this.env, h.name, {});
        if (r instanceof Promise) return r.then((x) => (done(i, label, x), from(i + 1)));
        done(i, label, r);
      }
      return { result: loopResult(out.map((o) => o.result)), items: out, writes: writes.length ? writes : undefined };
    };
    return from(0);
  }
}

function failure(e: unknown): ModuleResult {
  return { failed: true, changed: false, msg: e instanceof FleetFailure ? formatError(e.error) : (e as Error).message };
}

const skipped = (): ModuleResult => ({ changed: false, skip_reason: 'Conditional result was False', skipped: true });
