/**
 * The linear strategy: each task runs on every active host of the batch (up to `forks` at
 * once), then the next task. A failed host leaves the play; blocks rescue; handlers run at
 * flush points; serial batches; max_fail_percentage; any_errors_fatal; run_once.
 */
import { lazyVars, markUnsafe, type Templar, type Vars } from '../template/index.js';
import { fleetError, FleetFailure, formatError, type FleetError } from '../errors/index.js';
import type { Inventory } from '../inventory/index.js';
import { registerSecret } from '../log/index.js';
import type { HostContext, ModuleResult, PlanEntry, RunMode } from '../modules/registry.js';
import { asList, loadIncludedRole, loadIncludedTasks } from './loader.js';
import type { BlockNode, Inherit, Node, Play, Playbook, RoleCtx, TaskNode } from './model.js';
import { CENSORED, emptyStats, type Printer, type Stats } from './output.js';
import { diffToShow } from './diff.js';
import type { TaskRecord, TaskStatus } from './report.js';
import {
  bool,
  conditions,
  invoke,
  loopItems,
  moduleOf,
  OMIT,
  postConditions,
  truthy,
  type ItemOutcome,
  type Outcome,
  type TaskEnv,
} from './task.js';
import { selectedByTags, type TagFilter } from './tags.js';

const EMPTY: Vars = Object.freeze({});
const ANSIBLE_VERSION = { full: '2.14.18', major: 2, minor: 14, revision: 18, string: '2.14.18' };

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
  /** --start-at-task: tasks are skipped until the first one this matches (handlers aside). */
  startAt?: (t: TaskNode) => boolean;
}

/** Runs `fn` on every item with at most `n` in flight (a pool, not a promise per item up front). */
export async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

interface PlayState {
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

let batchIds = 0;
const roleMagics = new WeakMap<RoleCtx, Vars>();
function roleMagic(role: RoleCtx): Vars {
  let m = roleMagics.get(role);
  if (!m)
    roleMagics.set(
      role,
      (m = {
        role_path: role.path,
        role_name: role.name,
        ansible_role_name: role.name,
        ansible_search_path: role.searchPath,
      }),
    );
  return m;
}

export class Engine {
  readonly states = new Map<string, HostState>();
  readonly plan: (PlanEntry & { task: string })[] = [];
  readonly errors: FleetError[] = [];
  private readonly env: TaskEnv;
  private readonly groups: Record<string, string[]>;
  private startAt: ((t: TaskNode) => boolean) | undefined;

  constructor(private readonly o: EngineOptions) {
    this.startAt = o.startAt;
    this.env = { templar: o.templar, checkMode: o.checkMode, diff: o.diff, mode: o.mode, env: o.env };
    this.groups = o.inventory.groupsVar();
  }

  private state(host: string): HostState {
    let s = this.states.get(host);
    if (!s) {
      s = {
        name: host,
        facts: {},
        failed: false,
        ended: false,
        stats: emptyStats(),
        processed: false,
        groupNames: this.o.inventory.groupNames(host),
        layers: this.o.inventory.hostLayers(host).map((l) => l.vars),
        include: EMPTY,
      };
      this.states.set(host, s);
    }
    return s;
  }

  async run(): Promise<void> {
    for (const play of this.o.playbook.plays) {
      const ok = await this.runPlay(play);
      if (!ok) break;
    }
  }

  private playHosts(play: Play): string[] | undefined {
    const m = this.o.inventory.match(Array.isArray(play.kw.hosts) ? play.kw.hosts.join(',') : play.kw.hosts);
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
    const all = names.map((h) => this.state(h)).filter((s) => !s.failed);
    if (!all.length) {
      this.o.printer.line('skipping: no hosts matched');
      return true;
    }
    for (const s of all) s.ended = false;
    const batches = serialBatches(play.kw.serial, all, this.o.templar);
    const ps: PlayState = {
      play,
      hosts: all,
      roleDefaults: Object.assign({}, ...play.roles.map((r) => r.defaults)) as Vars,
      roleVars: Object.assign({}, ...play.roles.map((r) => r.vars)) as Vars,
      notified: new Map(),
      maxFailPct: play.kw.max_fail_percentage !== undefined ? Number(play.kw.max_fail_percentage) : undefined,
      anyErrorsFatal: truthy(play.kw.any_errors_fatal),
      ended: false,
      hostvars: {},
      groups: this.groups,
      names: [],
      batchId: 0,
    };
    ps.hostvars = this.hostvarsProxy(ps);
    for (const batch of batches) {
      ps.hosts = batch;
      ps.names = batch.map((h) => h.name);
      ps.batchId = ++batchIds;
      ps.ended = false;
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

  private async runNodes(nodes: Node[], ps: PlayState, hosts: HostState[]): Promise<void> {
    for (const n of nodes) {
      if (!this.active(hosts, ps).length) return;
      if (n.kind === 'block') await this.runBlock(n, ps, hosts);
      else await this.runTask(n, ps, hosts, false);
    }
  }

  private async runBlock(b: BlockNode, ps: PlayState, hosts: HostState[]): Promise<void> {
    const entered = this.active(hosts, ps);
    await this.runNodes(b.block, ps, entered);
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

  /** Layers lowest first — the order of ansible 2.14's VariableManager.get_vars. */
  varsFor(h: HostState, t: TaskNode, ps: PlayState, top?: Vars): Vars {
    const role = t.inherit.role;
    // Absent layers are left out: every variable lookup searches the layers from the top.
    const layers: Vars[] = [];
    const add = (l: Vars | undefined) => {
      if (l && l !== EMPTY) layers.push(l);
    };
    add(ps.roleDefaults);
    add(role?.defaults);
    for (const l of h.layers) add(l);
    add(ps.play.kw.vars);
    add(ps.play.varsFiles);
    add(ps.roleVars);
    add(role?.vars);
    add(t.inherit.vars);
    add(t.kw.vars);
    add(h.facts);
    add(role?.params);
    add(h.include);
    add(this.o.extraVars);
    add(this.magic(h, ps));
    add(role ? roleMagic(role) : undefined);
    add(top);
    return lazyVars(layers, this.o.templar, { file: t.file, line: t.line, task: t.name, host: h.name });
  }

  /** Magic variables, built once per host and batch (not per task: 100k hosts × tasks adds up). */
  private magic(h: HostState, ps: PlayState): Vars {
    if (h.magicOf === ps.batchId && h.magic) return h.magic;
    const names = ps.names;
    h.magicOf = ps.batchId;
    h.magic = {
      inventory_hostname: h.name,
      inventory_hostname_short: h.name.split('.')[0],
      group_names: h.groupNames,
      groups: ps.groups,
      hostvars: ps.hostvars,
      playbook_dir: this.o.playbook.dir,
      ansible_check_mode: this.o.checkMode,
      ansible_diff_mode: this.o.diff,
      ansible_version: ANSIBLE_VERSION,
      ansible_play_name: ps.play.name,
      ansible_play_hosts: names,
      ansible_play_batch: names,
      play_hosts: names,
      ansible_run_tags: this.o.tags.tags,
      ansible_skip_tags: this.o.tags.skip,
      omit: OMIT,
      fleetplay_mode: this.o.mode,
    };
    return h.magic;
  }

  /** hostvars[h]: that host's variables as a play-level task would see them. */
  private hostvarsProxy(ps: PlayState): Vars {
    const known = new Set(this.o.inventory.hosts);
    const fake: TaskNode = {
      kind: 'task',
      file: ps.play.file,
      line: ps.play.line,
      name: 'hostvars',
      action: 'debug',
      args: {},
      kw: {},
      inherit: {},
    };
    // A class instance, not a plain mapping: templating must not walk every host's variables.
    return new Proxy(new HostVars() as Vars, {
      get: (_t, k) => (typeof k === 'string' && known.has(k) ? this.varsFor(this.state(k), fake, ps) : undefined),
      has: (_t, k) => typeof k === 'string' && known.has(k),
      ownKeys: () => [...this.o.inventory.hosts],
      getOwnPropertyDescriptor: (_t, k) => ({ configurable: true, enumerable: true, value: ps.hostvars[k as string] }),
    });
  }

  private taskName(t: TaskNode): string {
    // An unnamed include_role is "include_role : ROLE" in ansible's banner.
    const n =
      t.name ||
      (t.action === 'include_role' && typeof t.args.name === 'string' ? `include_role : ${t.args.name}` : t.action);
    return t.inherit.role ? `${t.inherit.role.name} : ${n}` : n;
  }

  /** True while --start-at-task has matched no task yet. */
  get startAtPending(): boolean {
    return this.startAt !== undefined;
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
      return this.runInclude(t, ps, targets);
    this.o.printer.task(this.taskName(t), handler);
    const runOnce = truthy(t.kw.run_once ?? t.inherit.run_once) || moduleOf(t).bypassHostLoop === true;
    if (runOnce) targets = targets.slice(0, 1);
    const started = Date.now();
    const finish = (h: HostState, o: Outcome) =>
      this.finish(t, ps, h, o, started, runOnce ? this.active(hosts, ps) : [h]);
    if (moduleOf(t).runBatch) {
      const outcomes = new Map<HostState, Outcome>();
      await this.batchTask(t, ps, targets, outcomes);
      for (const h of targets) finish(h, outcomes.get(h)!);
    } else {
      // Each result is printed and counted as soon as those before it are: results die young
      // (100k hosts' results kept until the last host finished cost most of the run's GC time).
      const done = new Array<Outcome | undefined>(targets.length);
      let cursor = 0;
      await pool(targets, this.o.forks, async (h, i) => {
        done[i] = await this.hostTask(t, ps, h);
        for (; cursor < targets.length && done[cursor]; cursor++) {
          finish(targets[cursor], done[cursor]!);
          done[cursor] = undefined;
        }
      });
    }
    this.o.printer.flush();
    this.afterTask(ps, hosts, runOnce && targets.some((h) => h.failed));
  }

  /** Checks max_fail_percentage and any_errors_fatal after each task. */
  /**
   * max_fail_percentage and any_errors_fatal after each task; a failed run_once task counts as
   * any_errors_fatal (ansible's linear strategy). Ending the play that way says NO MORE HOSTS LEFT.
   */
  private afterTask(ps: PlayState, hosts: HostState[], runOnceFailed: boolean): void {
    if (ps.ended) return;
    const failed = ps.hosts.filter((h) => h.failed).length;
    const overMax = ps.maxFailPct !== undefined && (failed / ps.hosts.length) * 100 > ps.maxFailPct;
    const fatal = (ps.anyErrorsFatal || runOnceFailed) && hosts.some((h) => h.failed);
    if (!overMax && !fatal) return;
    ps.ended = true;
    // ansible says it once for max_fail_percentage, and once more as every host then counts as failed.
    if (overMax) this.o.printer.banner('NO MORE HOSTS LEFT');
    this.o.printer.banner('NO MORE HOSTS LEFT');
  }

  private async hostTask(t: TaskNode, ps: PlayState, h: HostState): Promise<Outcome> {
    const mod = moduleOf(t);
    try {
      const vars = this.varsFor(h, t, ps);
      const items = loopItems(t, vars, this.env, h.name);
      if (!items) {
        if (!this.o.templar.conditional(conditions(t), vars, { file: t.file, line: t.line, host: h.name }))
          return { result: skipped() };
        return { result: await invoke(t, mod, vars, this.env, h.name, {}) };
      }
      return await this.loop(t, ps, h, items, mod);
    } catch (e) {
      return {
        result: {
          failed: true,
          changed: false,
          msg: e instanceof FleetFailure ? formatError(e.error) : (e as Error).message,
        },
      };
    }
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
        const vars = this.varsFor(h, t, ps);
        const where = { file: t.file, line: t.line, task: t.name, host: h.name };
        if (!this.o.templar.conditional(conditions(t), vars, where)) {
          outcomes.set(h, { result: skipped() });
          continue;
        }
        const checkMode = bool(t, 'check_mode', vars, this.o.templar) ?? this.o.checkMode;
        if (checkMode && !mod.checkMode) {
          outcomes.set(h, { result: { changed: false, skipped: true, msg: 'skipped, running in check mode' } });
          continue;
        }
        const parsed = mod.args.safeParse(this.o.templar.template(t.args, vars, where));
        if (!parsed.success) {
          const i = parsed.error.issues[0];
          throw new FleetFailure(
            fleetError('task.bad-args', `${t.action}: ${i.path.join('.') || 'arguments'}: ${i.message}`, {
              file: t.file,
              line: t.line,
            }),
          );
        }
        const ctx: HostContext = {
          host: h.name,
          vars,
          templar: this.o.templar,
          checkMode,
          diff: bool(t, 'diff', vars, this.o.templar) ?? this.o.diff,
          mode: this.o.mode,
          env: this.o.env,
          file: t.file,
          line: t.line,
          task: t.name,
        };
        items.push({ host: h.name, args: parsed.data, ctx });
        byName.set(h.name, { h, vars });
      } catch (e) {
        outcomes.set(h, {
          result: {
            failed: true,
            changed: false,
            msg: e instanceof FleetFailure ? formatError(e.error) : (e as Error).message,
          },
        });
      }
    }
    if (!items.length) return;
    const name = this.taskName(t);
    let results: Map<string, ModuleResult>;
    try {
      results = await mod.runBatch!(items, {
        name,
        report: { add: (entry) => this.plan.push(Object.assign({}, entry, { task: name })) },
      });
    } catch (e) {
      const msg = e instanceof FleetFailure ? formatError(e.error) : (e as Error).message;
      results = new Map(items.map((i) => [i.host, { failed: true, changed: false, msg }]));
    }
    for (const [host, { h, vars }] of byName) {
      const r = results.get(host) ?? {
        failed: true,
        changed: false,
        msg: `${t.action} returned no result for ${host}`,
      };
      outcomes.set(h, { result: postConditions(t, Object.assign({}, r), vars, this.env, host, {}) });
    }
  }

  private async loop(
    t: TaskNode,
    ps: PlayState,
    h: HostState,
    items: unknown[],
    mod: ReturnType<typeof moduleOf>,
  ): Promise<Outcome> {
    const lc = t.kw.loop_control ?? {};
    const loopVar = lc.loop_var ?? 'item';
    const out: ItemOutcome[] = [];
    for (let i = 0; i < items.length; i++) {
      const top: Vars = { [loopVar]: items[i], ansible_loop_var: loopVar };
      if (lc.index_var) top[lc.index_var] = i;
      const vars = this.varsFor(h, t, ps, top);
      const label = lc.label !== undefined ? String(this.o.templar.template(lc.label, vars)) : labelOf(items[i]);
      let r: ModuleResult;
      if (!this.o.templar.conditional(conditions(t), vars, { file: t.file, line: t.line, host: h.name })) r = skipped();
      else r = await invoke(t, mod, vars, this.env, h.name, {});
      // set_fact in a loop: each item sees the facts the previous items set.
      if (r.ansible_facts && !r.failed) Object.assign(h.facts, factsOf(mod.name, r.ansible_facts as Vars));
      r[loopVar] = items[i];
      r.ansible_loop_var = loopVar;
      if (lc.index_var) r[lc.index_var] = i;
      out.push({ result: r, label });
    }
    return { result: loopResult(out.map((o) => o.result)), items: out };
  }

  /** Prints, counts, registers, notifies; `apply` are the hosts a run_once result applies to. */
  private finish(t: TaskNode, ps: PlayState, h: HostState, o: Outcome, started: number, apply: HostState[]): void {
    const r = o.result;
    // Variables only when a keyword needs templating: finish runs for every host × task.
    const needsVars =
      t.kw.no_log !== undefined ||
      t.inherit.no_log !== undefined ||
      (r.failed && !r.skipped) ||
      (r.changed && (t.kw.notify ?? t.inherit.notify) !== undefined);
    const vars = needsVars ? this.varsFor(h, t, ps) : EMPTY;
    const noLog = needsVars ? (bool(t, 'no_log', vars, this.o.templar) ?? false) : false;
    const ignore = r.failed && !r.skipped ? (this.safeBool(t, 'ignore_errors', vars) ?? false) : false;
    this.print(t, h, o, noLog, ignore);
    // A module that could not reach the OTA server marks the host unreachable (exit code 4).
    const status: TaskStatus =
      r.unreachable === true
        ? 'unreachable'
        : r.skipped
          ? 'skipped'
          : r.failed
            ? ignore
              ? 'ignored'
              : 'failed'
            : r.changed
              ? 'changed'
              : 'ok';
    count(h.stats, status, r.changed === true);
    h.processed = true;
    if (noLog) registerStrings(r.ansible_facts);
    const facts = r.ansible_facts && !r.failed ? factsOf(moduleOf(t).name, r.ansible_facts as Vars) : undefined;
    const reg = t.kw.register ? markUnsafe(registered(r)) : undefined;
    for (const target of apply) {
      if (facts) Object.assign(target.facts, facts);
      if (reg) target.facts[t.kw.register!] = reg;
    }
    if (status === 'failed' || status === 'unreachable') {
      // A run_once task that fails fails every host it ran for, as ansible's linear strategy does.
      for (const target of apply) target.failed = true;
      h.facts.__fleetplay_last_failed = registered(r);
    }
    if (r.changed && !r.failed) this.notify(t, ps, h, vars);
    if (this.o.onRecord) {
      this.o.onRecord({
        play: ps.play.name,
        task: this.taskName(t),
        action: t.action,
        file: t.file,
        line: t.line,
        host: h.name,
        status,
        result: noLog ? { censored: CENSORED } : reported(moduleOf(t).name, r),
        durationMs: Date.now() - started,
      });
    }
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
    const debug = t.action === 'debug';
    // debug results are cleaned for display (ansible's _clean_results); some are shown without -v.
    const mark = (x: ModuleResult) => (debug ? Object.assign({}, x, DEBUG_MARK) : x);
    const show = (x: ModuleResult) => debug || x._ansible_verbose_always === true;
    const delegated = t.kw.delegate_to ?? t.inherit.delegate_to;
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
    return this.o.diff || truthy(t.kw.diff ?? t.inherit.diff);
  }

  private notify(t: TaskNode, ps: PlayState, h: HostState, vars: Vars): void {
    const names = asList(t.kw.notify ?? t.inherit.notify);
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
      this.o.templar.conditional(conditions(t), this.varsFor(h, t, ps), { file: t.file, line: t.line, host: h.name }),
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

  /** include_tasks / include_role: loaded now, once per distinct file and item, for the hosts that want it. */
  private async runInclude(t: TaskNode, ps: PlayState, targets: HostState[]): Promise<void> {
    const role = t.action === 'include_role';
    this.o.printer.task(this.taskName(t));
    const wanted: { h: HostState; item?: unknown; loopVar: string; target: string; label?: string }[] = [];
    for (const h of targets) {
      const vars = this.varsFor(h, t, ps);
      let items: unknown[] | undefined;
      try {
        items = loopItems(t, vars, this.env, h.name);
      } catch (e) {
        this.failHost(t, h, e);
        continue;
      }
      const loopVar = t.kw.loop_control?.loop_var ?? 'item';
      const list = items ?? [undefined];
      let any = false;
      for (const item of list) {
        const v = items ? this.varsFor(h, t, ps, { [loopVar]: item }) : vars;
        if (!this.o.templar.conditional(conditions(t), v, { file: t.file, line: t.line, host: h.name })) continue;
        const args = this.o.templar.template(t.args, v) as Record<string, unknown>;
        const target = String(role ? args.name : (args.file ?? args._raw_params ?? ''));
        wanted.push({ h, item, loopVar, target, label: items ? labelOf(item) : undefined });
        any = true;
      }
      if (!any) {
        this.o.printer.result('skipping', h.name, {}, {});
        bump(h, 'skipped');
      }
    }
    const groups = new Map<string, typeof wanted>();
    for (const w of wanted) {
      const key = `${w.target}\u0000${JSON.stringify(w.item ?? null)}`;
      const g = groups.get(key) ?? [];
      g.push(w);
      groups.set(key, g);
    }
    const inherit: Inherit = {
      ...t.inherit,
      when: undefined,
      tags: [...asList(t.inherit.tags), ...asList(t.kw.tags)],
      vars: { ...(t.inherit.vars ?? {}), ...(t.kw.vars ?? {}) },
    };
    for (const g of groups.values()) {
      const first = g[0];
      const loaded = role
        ? loadIncludedRole(first.target, inherit, this.o.playbook.dir, t, t.args.tasks_from as string | undefined)
        : loadIncludedTasks(first.target, inherit, this.o.playbook.dir, t);
      if (!loaded.ok) {
        for (const e of loaded.error) this.errors.push(e);
        for (const w of g) this.failHost(t, w.h, new FleetFailure(loaded.error[0]));
        continue;
      }
      if (!role) {
        this.o.printer.line(
          `included: ${first.target} for ${g.map((w) => w.h.name).join(', ')}${first.label !== undefined ? ` => (item=${first.label})` : ''}`,
        );
        for (const w of g) bump(w.h, 'ok');
      }
      const nodes = Array.isArray(loaded.value) ? loaded.value : [loaded.value.block];
      if (role && !Array.isArray(loaded.value)) {
        for (const hd of loaded.value.handlers) if (!ps.play.handlers.includes(hd)) ps.play.handlers.push(hd);
      }
      const saved = new Map(g.map((w) => [w.h, w.h.include]));
      // The include's vars: are also include params (ansible's get_include_params): above set_fact and role params.
      const params = t.kw.vars;
      for (const w of g)
        if (params || first.item !== undefined)
          w.h.include = Object.assign({}, w.h.include, params, first.item !== undefined ? { [w.loopVar]: w.item } : {});
      await this.runNodes(
        nodes,
        ps,
        g.map((w) => w.h),
      );
      for (const [h, inc] of saved) h.include = inc;
    }
    this.afterTask(ps, targets, false);
  }

  private failHost(t: TaskNode, h: HostState, e: unknown): void {
    const msg = e instanceof FleetFailure ? formatError(e.error) : (e as Error).message;
    this.o.printer.result('fatal', h.name, { changed: false, msg }, {});
    h.failed = true;
    bump(h, 'failed');
    this.o.onRecord?.({
      play: '',
      task: this.taskName(t),
      action: t.action,
      file: t.file,
      line: t.line,
      host: h.name,
      status: 'failed',
      result: { failed: true, msg },
      durationMs: 0,
    });
  }
}

class HostVars {}

const DEBUG_MARK = { _debug: true };

const skipped = (): ModuleResult => ({ changed: false, skip_reason: 'Conditional result was False', skipped: true });

function labelOf(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item);
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
function factsOf(module: string, facts: Vars): Vars {
  if (!CLEAN_FACTS.has(module)) for (const k in facts) markUnsafe(facts[k]);
  return facts;
}

/** A loop's result as ansible's TaskExecutor folds the items: `failed` only when an item failed. */
function loopResult(results: ModuleResult[]): ModuleResult {
  if (!results.length) return { changed: false, skipped: true, skipped_reason: 'No items in the list', results };
  const skipped = results.every((r) => r.skipped);
  const failed = results.some((r) => r.failed);
  const msg = skipped ? 'All items skipped' : failed ? 'One or more items failed' : 'All items completed';
  return { results, skipped, changed: results.some((r) => r.changed), msg, ...(failed ? { failed } : {}) };
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

function bump(h: HostState, key: keyof Stats): void {
  h.stats[key]++;
  h.processed = true;
}
