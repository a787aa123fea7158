/**
 * What becomes of a host's result (ansible's strategy _process_pending_results and the
 * callbacks): printed, counted in the stats, registered, handlers notified, recorded for the
 * report.
 */
import type { UnsafeTexts, Vars } from '../template/index.js';
import { FleetFailure, formatError } from '../errors/index.js';
import { registerSecret } from '../log/index.js';
import type { DeferredWrite, ModuleResult } from '../modules/registry.js';
import { asList, effective } from './keywords.js';
import type { TaskNode } from './model.js';
import { CENSORED, type Stats } from './output.js';
import { diffToShow } from './diff.js';
import type { PlanFailure } from './apply.js';
import type { TaskStatus } from './report.js';
import { bump, type EngineOptions, type HostState, type PlayState } from './state.js';
import { bool, moduleOf, truthy, type Outcome } from './task.js';
import { EMPTY, type VariableManager } from './variables.js';

/** The task's banner name: an unnamed include_role is "include_role : ROLE", as in ansible. */
export function taskName(t: TaskNode): string {
  const n =
    t.name ||
    (t.action === 'include_role' && typeof t.args.name === 'string' ? `include_role : ${t.args.name}` : t.action);
  return t.inherit.role ? `${t.inherit.role.name} : ${n}` : n;
}

/** What results need of the apply queue (ApplyQueue in deferred.ts is one): no import back to it. */
export interface PutOffQueue {
  putOff(t: TaskNode, name: string, ps: PlayState, h: HostState, apply: HostState[]): void;
  pendingRegister(planned: Record<string, unknown>, writes: DeferredWrite[], host: string): Record<string, unknown>;
}

export class Results {
  /** Every failed host × task, for the list a failed plan prints (src/engine/apply.ts). */
  readonly failures: PlanFailure[] = [];

  constructor(
    private readonly o: EngineOptions,
    private readonly vars: VariableManager,
    private readonly queue: PutOffQueue,
  ) {}

  /** Prints, counts, registers, notifies; `apply` are the hosts a run_once result applies to. */
  finish(t: TaskNode, ps: PlayState, h: HostState, o: Outcome, started: number, apply: HostState[]): void {
    // Put off until the apply: said now, counted and registered when it runs (deferred.ts).
    if (o.deferred) {
      this.o.printer.deferred(h.name, o.deferred.task);
      return this.queue.putOff(t, taskName(t), ps, h, apply);
    }
    const r = o.result;
    // Variables only when a keyword needs templating: finish runs for every host × task.
    const needsVars =
      effective(t, 'no_log') !== undefined ||
      (r.failed && !r.skipped) ||
      (r.changed && effective(t, 'notify') !== undefined);
    const vars = needsVars ? this.vars.varsFor(h, t, ps) : EMPTY;
    const noLog = needsVars ? (bool(t, 'no_log', vars, this.o.templar) ?? false) : false;
    const ignore = r.failed && !r.skipped ? (this.safeBool(t, 'ignore_errors', vars) ?? false) : false;
    this.print(t, h, o, noLog, ignore);
    const status = statusOf(r, ignore);
    count(h.stats, status, r.changed === true);
    h.processed = true;
    if (noLog) registerStrings(r.ansible_facts);
    const facts =
      r.ansible_facts && !r.failed
        ? factsOf(moduleOf(t).name, r.ansible_facts as Vars, this.o.templar.unsafe)
        : undefined;
    const reg = t.kw.register ? this.register(o, h.name) : undefined;
    for (const target of apply) {
      if (facts) Object.assign(target.facts, facts);
      if (reg) target.facts[t.kw.register!] = reg;
    }
    if (status === 'failed') this.failed(t, h.name, noLog ? CENSORED : r.msg);
    if (status === 'failed' || status === 'unreachable') {
      // A run_once task that fails fails every host it ran for, as ansible's linear strategy does.
      for (const target of apply) target.failed = true;
      h.facts.__fleetplay_last_failed = registered(r);
      this.o.onFailure?.({ host: h.name, action: t.action, result: noLog ? { censored: CENSORED } : r });
    }
    if (r.changed && !r.failed) this.notify(t, ps, h, vars);
    this.o.onRecord?.({
      play: ps.play.name,
      task: taskName(t),
      action: t.action,
      file: t.file,
      line: t.line,
      host: h.name,
      status,
      // ansible's censored result still says it was skipped (a skipped task shows as such).
      result: noLog ? { censored: CENSORED, ...(r.skipped ? { skipped: true } : {}) } : reported(moduleOf(t).name, r),
      durationMs: Date.now() - started,
    });
  }

  /** What `register:` stores; what writes put off will answer waits for the apply (src/template/pending.ts). */
  private register(o: Outcome, host: string): Record<string, unknown> {
    const reg = this.o.templar.unsafe.mark(registered(o.result));
    if (!o.writes) return reg;
    if (!o.items) return this.queue.pendingRegister(reg, o.writes, host);
    reg.results = o.items.map((it) => (it.writes ? this.queue.pendingRegister(it.result, it.writes, host) : it.result));
    return reg;
  }

  /** A host fails outside a module call (an include that cannot be loaded or looped). */
  failHost(t: TaskNode, h: HostState, e: unknown): void {
    const msg = e instanceof FleetFailure ? formatError(e.error) : (e as Error).message;
    this.o.printer.result('fatal', h.name, { changed: false, msg }, {});
    h.failed = true;
    bump(h, 'failed');
    this.o.onFailure?.({ host: h.name, action: t.action, result: { failed: true, msg } });
    this.failed(t, h.name, msg);
    this.o.onRecord?.({
      play: '',
      task: taskName(t),
      action: t.action,
      file: t.file,
      line: t.line,
      host: h.name,
      status: 'failed',
      result: { failed: true, msg },
      durationMs: 0,
    });
  }

  private failed(t: TaskNode, host: string, msg: unknown): void {
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg ?? 'failed');
    this.failures.push({ file: t.file, line: t.line, task: taskName(t), host, msg: text });
  }

  private safeBool(t: TaskNode, key: 'ignore_errors', vars: Vars): boolean | undefined {
    try {
      return bool(t, key, vars, this.o.templar);
    } catch {
      return undefined;
    }
  }

  private print(t: TaskNode, h: HostState, o: Outcome, noLog: boolean, ignored: boolean): void {
    const p = this.o.printer;
    const r = o.result;
    // A result that prints nothing (display_ok_hosts off, as in CI) builds nothing: 100k hosts × tasks.
    const kind = r.skipped ? 'skipping' : r.changed ? 'changed' : 'ok';
    if (!o.items && !r.failed && p.hides(kind) && (r.skipped || noLog || !this.showsDiff(t))) return;
    const debug = t.action === 'debug';
    // debug results are cleaned for display (ansible's _clean_results); some are shown without -v.
    const mark = (x: ModuleResult) => (debug ? Object.assign({}, x, DEBUG_MARK) : x);
    const show = (x: ModuleResult) => debug || x._ansible_verbose_always === true;
    const delegated = effective(t, 'delegate_to');
    const opts = { delegated: delegated ? String(delegated) : undefined, noLog };
    const diffs = !noLog && this.showsDiff(t);
    if (o.items) {
      for (const it of o.items) {
        const ir = it.result;
        if (ir.skipped) p.result('skipping', h.name, mark(ir), { ...opts, item: it.label });
        else if (ir.failed) p.result('failed', h.name, ir, { ...opts, item: it.label });
        else {
          if (diffs) p.diff(diffToShow(ir));
          p.result(ir.changed ? 'changed' : 'ok', h.name, mark(ir), { ...opts, item: it.label, show: show(ir) });
        }
      }
      if (r.skipped) p.result('skipping', h.name, r, opts);
      else if (r.failed) p.result('fatal', h.name, { ...r, results: undefined }, { ...opts, ignored });
      return;
    }
    if (r.skipped) p.result('skipping', h.name, mark(r), opts);
    else if (r.failed) p.result('fatal', h.name, r, { ...opts, ignored });
    else {
      if (diffs) p.diff(diffToShow(r));
      p.result(r.changed ? 'changed' : 'ok', h.name, mark(r), { ...opts, show: show(r) });
    }
  }

  /** As ansible's strategy: a result's diff is shown under --diff or on a task with `diff: true`. */
  private showsDiff(t: TaskNode): boolean {
    return this.o.diff || truthy(effective(t, 'diff'));
  }

  private notify(t: TaskNode, ps: PlayState, h: HostState, vars: Vars): void {
    const names = asList(effective(t, 'notify'));
    for (const raw of names) {
      const name = String(this.o.templar.template(raw, vars));
      const matched = ps.play.handlers.filter(
        (hd) =>
          hd.name === name ||
          asList(hd.kw.listen).includes(name) ||
          (hd.inherit.role && `${hd.inherit.role.name} : ${hd.name}` === name),
      );
      if (!matched.length) {
        h.failed = true;
        bump(h, 'failed');
        this.o.printer.line(
          `ERROR! The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list (${t.file}:${t.line})`,
        );
        continue;
      }
      for (const hd of matched) {
        const set = ps.notified.get(hd) ?? new Set();
        set.add(h);
        ps.notified.set(hd, set);
      }
    }
  }
}

const DEBUG_MARK = { _debug: true };

/** A module that could not reach the OTA server marks the host unreachable (exit code 4). */
function statusOf(r: ModuleResult, ignore: boolean): TaskStatus {
  if (r.unreachable === true) return 'unreachable';
  if (r.skipped) return 'skipped';
  if (r.failed) return ignore ? 'ignored' : 'failed';
  return r.changed ? 'changed' : 'ok';
}

/** As ansible's strategy counts: an ignored failure is ok + ignored (+ changed if it changed). */
function count(s: Stats, status: TaskStatus, changed: boolean): void {
  if (status === 'skipped') s.skipped++;
  else if (status === 'failed') s.failed++;
  else if (status === 'unreachable') s.unreachable++;
  else {
    s.ok++;
    if (status === 'ignored') s.ignored++;
    if (changed) s.changed++;
  }
}

/** Modules whose facts are templated again when used (ansible's _ACTION_WITH_CLEAN_FACTS). */
const CLEAN_FACTS = new Set(['set_fact', 'include_vars']);

/**
 * Facts as variables: what other modules return is data, never templated (a device's attribute
 * may hold "{{ ... }}"), as ansible wraps them unsafe; set_fact's are templated again on use.
 */
export function factsOf(module: string, facts: Vars, unsafe: UnsafeTexts): Vars {
  if (!CLEAN_FACTS.has(module)) for (const k in facts) unsafe.mark(facts[k]);
  return facts;
}

/**
 * A result in the run report: as registered, but without the facts of modules other than
 * set_fact — those are the OTA server's data about each device (kilobytes per host, 100k hosts).
 */
function reported(module: string, r: ModuleResult): Record<string, unknown> {
  return registered(r, !CLEAN_FACTS.has(module));
}

/**
 * What `register:` stores: the result without engine-internal keys (ansible_facts stay, as in
 * ansible). Keys are left out while copying, not deleted after: `delete` turns an object into a
 * slow dictionary (a million results per 100k-device run).
 */
function registered(r: ModuleResult, withoutFacts = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in r) if (k.charCodeAt(0) !== 95 && !(withoutFacts && k === 'ansible_facts')) out[k] = r[k];
  return out;
}

function registerStrings(v: unknown): void {
  if (typeof v === 'string') registerSecret(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) registerStrings(x);
}
