/**
 * Reads are not repeated (`--mode run`): the plan phase runs every task once, and a task that
 * reads what a write put off will return (its `register`'s status, json, location…) is put off
 * too, for that host, instead of running on a result that does not exist yet
 * (src/template/pending.ts). The apply phase (apply.ts) runs it after the writes before it were
 * sent, with the real results; what it registers and sets reaches the later tasks put off.
 */
import { Pending, pendingResult, type Awaited, type UnsafeTexts, type Vars } from '../template/index.js';
import type { DeferredWrite, ModuleResult } from '../modules/registry.js';
import type { TaskNode } from './model.js';
import type { Printer } from './output.js';
import { taskName, type Results } from './results.js';
import type { HostState, PlayState } from './state.js';
import { moduleOf } from './task.js';
import type { TaskRunner } from './task-runner.js';

/** A value a put-off task gives at apply: where it goes and the slot every reader holds. */
interface Slot {
  target: HostState;
  name: string;
  pending: Pending;
}

/** One host of a task put off: what it saw in the plan phase (facts, include vars) and what it will give. */
export interface DeferredHost {
  h: HostState;
  facts: Vars;
  include: Vars;
  /** The hosts its result applies to (every active host for run_once). */
  apply: HostState[];
  slots: Slot[];
}

/** A task put off for some hosts, run at apply after the first `after` writes were sent. */
export interface DeferredTask {
  t: TaskNode;
  /** The play's state as the task saw it (a later serial batch replaces hosts and names). */
  ps: PlayState;
  after: number;
  hosts: DeferredHost[];
}

/** The apply phase's work, in task order: the writes put off and the tasks put off. */
export class ApplyQueue {
  readonly writes: DeferredWrite[] = [];
  readonly tasks: DeferredTask[] = [];
  /** The task being run, while its hosts are put off one by one (one step for all of them). */
  private open: { t: TaskNode; ps: PlayState; step: DeferredTask } | undefined;

  constructor(private readonly unsafe: UnsafeTexts) {}

  /**
   * Puts `t` off for `h`: its register and facts become slots the apply settles, in every host
   * it applies to; a later task of those hosts that reads one is put off in turn.
   */
  putOff(t: TaskNode, name: string, ps: PlayState, h: HostState, apply: HostState[]): void {
    const self: Awaited = { task: name };
    const entry: DeferredHost = { h, facts: Object.assign({}, h.facts), include: h.include, apply, slots: [] };
    const facts = factNames(t);
    for (const target of apply) {
      // Facts it cannot name: every later task of the host waits for the apply.
      if (facts === undefined) target.waiting ??= self;
      for (const fact of facts ?? []) entry.slots.push(this.slot(target, fact, self, false));
      if (t.kw.register) entry.slots.push(this.slot(target, t.kw.register, self, true));
    }
    if (this.open?.t !== t || this.open.ps !== ps)
      this.open = { t, ps, step: { t, ps: { ...ps }, after: this.writes.length, hosts: [] } };
    if (!this.open.step.hosts.length) this.tasks.push(this.open.step);
    this.open.step.hosts.push(entry);
  }

  /** The task finished its plan phase: a later run of it (a handler flushed again) is another step. */
  seal(): void {
    this.open = undefined;
  }

  private slot(target: HostState, name: string, self: Awaited, register: boolean): Slot {
    const pending = new Pending(self);
    target.facts[name] = register ? pendingResult(undefined, pending, this.unsafe) : pending;
    return { target, name, pending };
  }

  /**
   * The register of a call whose writes were put off: the planned result answers changed,
   * failed, skipped, msg and its own keys; the rest is the answer of the last write sent.
   */
  pendingRegister(planned: Record<string, unknown>, writes: DeferredWrite[], host: string): Record<string, unknown> {
    const pending = new Pending({ task: writes[0].task });
    let left = writes.length;
    const sent = (r: ModuleResult | undefined) => {
      if (pending.known) return;
      if (--left > 0 && !r?.failed) return;
      pending.settle(this.unsafe.mark(answered(planned, r)));
    };
    for (const w of writes) (w.registers ??= new Map()).set(host, sent);
    return pendingResult(planned, pending, this.unsafe);
  }
}

/** The write's answer as registered: its keys, with the plan's changed (changed_when ran then). */
function answered(planned: Record<string, unknown>, r: ModuleResult | undefined): Record<string, unknown> {
  if (!r) return planned;
  const out: Record<string, unknown> = {};
  for (const k in r) if (k.charCodeAt(0) !== 95) out[k] = r[k];
  out.changed = planned.changed;
  out.failed = r.failed === true;
  return out;
}

/** Settles what the task gave at apply (read from the hosts' facts it wrote into). */
export function settle(d: DeferredHost): void {
  for (const s of d.slots) {
    const facts = s.target === d.h ? d.facts : s.target.facts;
    const v = facts[s.name];
    s.pending.settle(v instanceof Pending ? v.read() : v);
  }
}

/** The facts a task sets, from its untemplated args; undefined when they cannot be told. */
function factNames(t: TaskNode): string[] | undefined {
  const mod = moduleOf(t);
  return mod.facts ? mod.facts(t.args) : [];
}

/**
 * Runs a task put off on its hosts not skipped (failed in the plan or at apply), each with the
 * facts it saw in the plan phase — now with the answers of the writes before it — then settles
 * what it gave. Returns the hosts it failed, with the message.
 */
export async function runDeferred(
  d: DeferredTask,
  skip: ReadonlySet<string>,
  runner: TaskRunner,
  results: Results,
  printer: Printer,
): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const todo = d.hosts.filter((e) => !skip.has(e.h.name));
  if (!todo.length) return failed;
  const byHost = new Map(todo.map((e) => [e.h, e]));
  const saved = todo.map((e) => ({ facts: e.h.facts, include: e.h.include, failed: e.h.failed }));
  for (const e of todo) Object.assign(e.h, { facts: e.facts, include: e.include, failed: false });
  printer.task(taskName(d.t));
  const started = Date.now();
  try {
    await runner.run(d.t, d.ps, [...byHost.keys()], (h, o) => {
      results.finish(d.t, d.ps, h, o, started, byHost.get(h)!.apply);
      if (h.failed) failed.set(h.name, typeof o.result.msg === 'string' ? o.result.msg : `${taskName(d.t)} failed`);
    });
  } finally {
    todo.forEach((e, i) => {
      settle(e);
      Object.assign(e.h, { facts: saved[i].facts, include: saved[i].include, failed: saved[i].failed || e.h.failed });
    });
    printer.flush();
  }
  return failed;
}
