/**
 * One task on one host: when, loop, argument templating, check mode, the module call,
 * until/retries, changed_when/failed_when. Pure of output; results.ts prints and counts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fleetError, FleetFailure, formatError } from '../errors/index.js';
import { needsApply, type Awaited, type Templar, type Vars } from '../template/index.js';
import {
  getModule,
  type Defer,
  type DeferredWrite,
  type HostContext,
  type ModuleDef,
  type ModuleResult,
  type RunMode,
} from '../modules/registry.js';
import { effective } from './keywords.js';
import type { TaskNode } from './model.js';
import type { RunContext } from '../run/context.js';

export const OMIT = '__omit_place_holder__fleetplay';

export interface TaskEnv {
  templar: Templar;
  checkMode: boolean;
  diff: boolean;
  mode: RunMode;
  env: NodeJS.ProcessEnv;
  /** The plan phase of `--mode run`: where a task's modules put their writes (src/engine/apply.ts). */
  defer?: (t: TaskNode, host?: string) => Defer;
  /** The run's services (OTA sessions): handed to every module call. */
  run?: RunContext;
}

export interface ItemOutcome {
  result: ModuleResult;
  label?: string;
  /** The writes this item's call put off. */
  writes?: DeferredWrite[];
}

/** A host's outcome of one task (one entry per item for loops). */
export interface Outcome {
  result: ModuleResult;
  items?: ItemOutcome[];
  /** The plan phase put the task off for this host: it reads what the apply phase gives. */
  deferred?: Awaited;
  /** The writes this host's call put off (its register is the apply's answer, src/template/pending.ts). */
  writes?: DeferredWrite[];
}

export const truthy = (v: unknown): boolean =>
  v === true || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v)) || v === 1;

export function bool(
  t: TaskNode,
  key: 'ignore_errors' | 'no_log' | 'run_once' | 'check_mode' | 'diff',
  vars: Vars,
  templar: Templar,
): boolean | undefined {
  const v = effective(t, key);
  if (v === undefined) return undefined;
  return truthy(typeof v === 'string' ? templar.template(v, vars) : v);
}

export const where = (t: TaskNode, host: string) => ({ file: t.file, line: t.line, task: t.name || t.action, host });

export function conditions(t: TaskNode): unknown[] {
  return effective(t, 'when');
}

/** Templated args with `omit` dropped (a top-level arg set to `{{ omit }}` is left out, never deleted: a copy without it). */
function templateArgs(t: TaskNode, vars: Vars, env: TaskEnv, host: string, raw: boolean): Record<string, unknown> {
  if (raw || !env.templar.isTemplate(t.args)) return t.args;
  const ctx = where(t, host);
  const out: Record<string, unknown> = {};
  for (const k in t.args) {
    const v = env.templar.template(t.args[k], vars, ctx);
    if (v !== OMIT) out[k] = v;
  }
  return out;
}

/** A failed result, unless `e` is the signal that the task waits for the apply (thrown on). */
function failure(e: unknown): ModuleResult {
  const waits = needsApply(e);
  if (waits) throw waits;
  const msg = e instanceof FleetFailure ? formatError(e.error) : e instanceof Error ? e.message : String(e);
  return { failed: true, changed: false, msg };
}

function taskEnvironment(t: TaskNode, vars: Vars, env: TaskEnv, host: string): NodeJS.ProcessEnv {
  const layers = effective(t, 'environment');
  if (!layers.length) return env.env;
  const out: NodeJS.ProcessEnv = { ...env.env };
  for (const l of layers) {
    const v = env.templar.template(l, vars, where(t, host));
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = String(x);
  }
  return out;
}

/** A module call made ready for one host: what `run` gets, or one item of a `runBatch` call. */
export type Prepared =
  | { kind: 'call'; args: unknown; ctx: HostContext }
  /** Not called: check mode skips it, or its arguments failed templating or validation. */
  | { kind: 'skip' | 'fail'; result: ModuleResult };

/**
 * Prepares the call of `mod` for one host, the same for a per-host and a bulk module (ansible's
 * TaskExecutor does this for every action): check mode, the task's `environment:`, arguments
 * templated with `omit` left out, then validated.
 */
export function prepare(t: TaskNode, mod: ModuleDef, vars: Vars, env: TaskEnv, host: string): Prepared {
  const checkMode = bool(t, 'check_mode', vars, env.templar) ?? env.checkMode;
  if (checkMode && !mod.checkMode)
    return { kind: 'skip', result: { changed: false, skipped: true, msg: `skipped, running in check mode` } };
  const ctx: HostContext = {
    host,
    vars,
    templar: env.templar,
    checkMode,
    diff: bool(t, 'diff', vars, env.templar) ?? env.diff,
    mode: env.mode,
    env: taskEnvironment(t, vars, env, host),
    file: t.file,
    line: t.line,
    task: t.name,
    // A bulk module defers through its task (runBatch's `defer`): no closure per host × task.
    defer: mod.runBatch ? undefined : env.defer?.(t, host),
    run: env.run,
  };
  try {
    const parsed = mod.args.safeParse(templateArgs(t, vars, env, host, mod.rawArgs === true));
    if (parsed.success) return { kind: 'call', args: parsed.data, ctx };
    const i = parsed.error.issues[0];
    const e = fleetError('task.bad-args', `${t.action}: ${i.path.join('.') || 'arguments'}: ${argIssue(i)}`, {
      file: t.file,
      line: t.line,
      hint: `see the ${t.action} module in docs/playbooks.md`,
    });
    return { kind: 'fail', result: { failed: true, changed: false, msg: formatError(e) } };
  } catch (e) {
    return { kind: 'fail', result: failure(e) };
  }
}

/**
 * Runs the module (with until/retries), then applies changed_when / failed_when. The call is
 * prepared once, as ansible templates a task's arguments once before its retries. A module
 * that answers at once (set_fact, debug, assert…) is answered at once: no promise per host ×
 * task (a million per 100k-device run).
 */
export function invoke(
  t: TaskNode,
  mod: ModuleDef,
  vars: Vars,
  env: TaskEnv,
  host: string,
  scope: Record<string, unknown>,
): ModuleResult | Promise<ModuleResult> {
  const call = prepare(t, mod, vars, env, host);
  if (call.kind === 'skip') return call.result;
  if (t.kw.until !== undefined) return retried(t, mod, call, vars, env, host, scope);
  const judged = (r: ModuleResult) => judge(t, r, attemptView(t, vars, r, scope), env, host);
  if (call.kind !== 'call') return judged(Object.assign({}, call.result));
  const r = callModule(mod, call.args, call.ctx);
  return r instanceof Promise ? r.then(judged) : judged(r);
}

/** `until:` / `retries:` / `delay:` — attempts until the condition holds (ansible's TaskExecutor). */
async function retried(
  t: TaskNode,
  mod: ModuleDef,
  call: Exclude<Prepared, { kind: 'skip' }>,
  vars: Vars,
  env: TaskEnv,
  host: string,
  scope: Record<string, unknown>,
): Promise<ModuleResult> {
  const r = t.kw.retries === undefined ? 3 : Number(env.templar.template(t.kw.retries, vars));
  const retries = r <= 0 ? 1 : r + 1;
  const delay = Number(t.kw.delay === undefined ? 5 : env.templar.template(t.kw.delay, vars));
  let result: ModuleResult = {};
  for (let attempt = 1; attempt <= retries; attempt++) {
    result = call.kind === 'call' ? await callModule(mod, call.args, call.ctx) : Object.assign({}, call.result);
    result.attempts = attempt;
    // As TaskExecutor's vars_copy: this attempt's facts and registered result are seen by
    // changed_when, failed_when and until (the arguments were templated before, without them).
    const view = attemptView(t, vars, result, scope);
    result = judge(t, result, view, env, host);
    if (result.skipped) break;
    let done = false;
    try {
      done = env.templar.conditional(t.kw.until, view, where(t, host));
    } catch (e) {
      return failure(e);
    }
    if (done) break;
    if (attempt === retries) {
      // ansible reports the retries, not the attempts, once they are used up.
      result.attempts = retries - 1;
      result.failed = true;
      break;
    }
    if (delay > 0) await sleep(delay * 1000);
  }
  return result;
}

/** The task's vars as the conditions of one attempt see them: plus its facts and register. */
function attemptView(t: TaskNode, vars: Vars, result: ModuleResult, scope: Record<string, unknown>): Vars {
  const facts = result.ansible_facts;
  let view = vars;
  if (facts && typeof facts === 'object' && !Array.isArray(facts)) view = withVars(view, facts as Vars);
  return t.kw.register ? withVar(view, t.kw.register, result, scope) : view;
}

/** The module's answer as a copy of its own (or a promise of it, from a module that waits). */
function callModule(mod: ModuleDef, args: unknown, ctx: HostContext): ModuleResult | Promise<ModuleResult> {
  if (!mod.run) return { failed: true, msg: `${mod.name} only runs in bulk` };
  // Object.assign, not a spread: on node 20 a spread copy that then gains a key (failed,
  // changed below) gets a hidden class of its own — 7× slower and ~0.5 KB per host × task.
  const copy = (r: ModuleResult): ModuleResult => Object.assign({}, r);
  try {
    const r = mod.run(args, ctx);
    return r instanceof Promise ? r.then(copy, failure) : copy(r);
  } catch (e) {
    return failure(e);
  }
}

/** The task's vars plus the registered result (for until/changed_when/failed_when). */
function withVar(vars: Vars, name: string, value: unknown, scope: Record<string, unknown>): Vars {
  scope[name] = value;
  return withVars(vars, { [name]: value });
}

/** `vars` seen through `top`: its keys win, the rest is read from `vars` (not copied: hostvars are large). */
function withVars(vars: Vars, top: Vars): Vars {
  return new Proxy(vars, {
    get: (tgt, k): unknown => (typeof k === 'string' && Object.hasOwn(top, k) ? top[k] : Reflect.get(tgt, k)),
    has: (tgt, k) => (typeof k === 'string' && Object.hasOwn(top, k)) || Reflect.has(tgt, k),
  });
}

export function postConditions(
  t: TaskNode,
  result: ModuleResult,
  vars: Vars,
  env: TaskEnv,
  host: string,
  scope: Record<string, unknown>,
): ModuleResult {
  return judge(t, result, attemptView(t, vars, result, scope), env, host);
}

/** changed_when / failed_when against `view`, then the defaults of failed and changed. */
function judge(t: TaskNode, result: ModuleResult, view: Vars, env: TaskEnv, host: string): ModuleResult {
  if (result.skipped) return result;
  try {
    if (t.kw.changed_when !== undefined)
      result.changed = env.templar.conditional(t.kw.changed_when, view, where(t, host));
    if (t.kw.failed_when !== undefined) {
      const failed = env.templar.conditional(t.kw.failed_when, view, where(t, host));
      result.failed_when_result = failed;
      result.failed = failed;
    }
  } catch (e) {
    return failure(e);
  }
  if (result.failed === undefined) result.failed = false;
  if (result.changed === undefined) result.changed = false;
  return result;
}

export function moduleOf(t: TaskNode): ModuleDef {
  const m = getModule(t.action);
  if (!m)
    throw new FleetFailure(
      fleetError('task.unknown-module', `unknown module ${t.action}`, { file: t.file, line: t.line }),
    );
  return m;
}

/** zod's words for a module argument, said as a user reads them: a missing one is missing. */
function argIssue(i: { code: string; message: string; issues?: { message: string }[] }): string {
  // A record's key (set_fact's names): the key's own issue, not "Invalid key in record".
  if (i.code === 'invalid_key' && i.issues?.[0]) return i.issues[0].message;
  const missing = i.code === 'invalid_type' && /, received undefined$/.exec(i.message);
  return missing
    ? `missing: it is required (${i.message.replace(/^Invalid input: |, received undefined$/g, '')})`
    : i.message;
}
