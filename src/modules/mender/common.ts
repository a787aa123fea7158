/**
 * What the mender_* modules share: the shape of a batch (structurally the engine's BatchItem),
 * device ids of hosts, facts taken from the play or gathered in bulk, and failure results.
 */
import { err, ExitCode, FleetFailure, formatError, ok, type FleetError, type Result } from '../../errors/index.js';
import { rawVar, type Templar } from '../../template/index.js';
import { exitCodeFor } from '../../ota/index.js';
import { ENDPOINT_ENV } from '../../ota/config.js';
import type { MenderClient } from '../../ota/client.js';
import type { Defer, PlanSink } from '../registry.js';
import { gatherFacts } from './gather.js';
import { isGathered, MenderFacts } from './facts.js';
import type { RunContext } from '../../run/context.js';
import { menderService, type MenderSessions } from './session.js';

export interface Item<A> {
  host: string;
  args: A;
  ctx: {
    vars: Record<string, unknown>;
    checkMode: boolean;
    mode: string;
    diff?: boolean;
    env?: NodeJS.ProcessEnv;
    /** Renders `mender_server` when it is a template (the engine passes its templar). */
    templar?: Pick<Templar, 'isTemplate' | 'template'>;
    /** The run (the engine's): its Mender sessions, request counts and fatal error. */
    run?: RunContext;
  };
}

export interface Result_ {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  [k: string]: unknown;
}

/** Where the modules put their plan entries (the engine's). */
export type Sink = PlanSink;

/** What a bulk module gets of its task: the name, the plan sink, and in the plan phase `defer`. */
export interface BatchTask {
  name: string;
  report: Sink;
  defer?: Defer;
}

/** The Mender device id of a host: the module arg, else `mender_device_id`, else the host name. */
export function deviceIdOf(item: Item<{ device_id?: string }>): string {
  const v = item.args.device_id ?? item.ctx.vars.mender_device_id;
  return typeof v === 'string' && v !== '' ? v : item.host;
}

/** Dry-run and check mode plan only. */
export function writes(item: Item<unknown>): boolean {
  return item.ctx.mode === 'run' && !item.ctx.checkMode;
}

/**
 * The error a failure result came from, under a symbol: copied with the result (spread,
 * Object.assign), invisible to JSON, read by onEachServer to note the run's fatal error.
 */
const ERROR = Symbol('fleetError');

/**
 * A host's result for an OTA error. An unreachable server marks the host unreachable, which the
 * engine turns into exit code 4.
 */
export function failure(e: FleetError): Result_ {
  return {
    failed: true,
    msg: formatError(e),
    error_code: e.code,
    ...(exitCodeFor(e) === ExitCode.otaUnreachable ? { unreachable: true } : {}),
    [ERROR]: e,
  };
}

/** The run's fatal error (a refused token…) noted from the failures among `results`; `results` as given. */
function noteFailures<M extends Map<string, { failed?: boolean }>>(sessions: MenderSessions, results: M): M {
  for (const r of results.values()) {
    const e = r.failed ? ((r as Record<symbol, unknown>)[ERROR] as FleetError | undefined) : undefined;
    if (e) sessions.noteFatal(e);
  }
  return results;
}

/** The run's Mender sessions: every engine call carries its run; a direct caller must give one. */
function sessionsOf(items: Item<unknown>[]): MenderSessions {
  const run = items[0]?.ctx.run;
  if (!run) throw new Error('mender_* modules need the run context (ctx.run) of their caller');
  return run.service(menderService);
}

/** The task with its deferred writes' results noted too (they fail in the apply phase). */
function noting<T extends unknown[]>(sessions: MenderSessions, task: T): T {
  const t = task[0] as BatchTask | undefined;
  if (!t?.defer) return task;
  const defer = t.defer;
  const wrapped: BatchTask = {
    ...t,
    defer: (w) => defer({ ...w, run: async (hosts) => noteFailures(sessions, await w.run(hosts)) }),
  };
  return [wrapped, ...task.slice(1)] as T;
}

export function failAll(items: Item<unknown>[], e: FleetError): Map<string, Result_> {
  const r = failure(e);
  return new Map(items.map((i) => [i.host, Object.assign({}, r)]));
}

type Results = Promise<Map<string, Result_>>;

/**
 * A bulk module run once per OTA server: hosts may name different servers (a per-group
 * `mender_server`), and each server's hosts get one bulk call on its client.
 */
export function onEachServer<A, T extends unknown[]>(
  run: (client: MenderClient, items: Item<A>[], ...task: T) => Results,
): (items: Item<A>[], ...task: T) => Results {
  return async (items, ...given) => {
    if (items.length === 0) return new Map();
    const sessions = sessionsOf(items);
    const task = noting(sessions, given);
    const out = new Map<string, Result_>();
    const groups = byServer(items, out, sessions);
    // The usual fleet: one server, every host on it. Its results as they are, not copied into a
    // second map of 100k entries (garbage that lives until the next full GC).
    if (groups.size === 1 && out.size === 0) {
      const [[client, group]] = groups;
      return noteFailures(sessions, await run(client, group, ...task));
    }
    for (const [client, group] of groups) for (const [host, r] of await run(client, group, ...task)) out.set(host, r);
    return noteFailures(sessions, out);
  };
}

type Resolved = ReturnType<MenderSessions['client']>;

/**
 * One client resolution per distinct server settings: `mender_server` and `mender_api` by value (an
 * object by identity: hosts share their group_vars' one), the task's environment by what the
 * endpoint reads of it (it may differ per host: a host's own token). Nothing is made per host: a
 * JSON key and a rendered value per host and task cost the 100k-device main job ~+100 MB peak RSS
 * (docs/performance.md).
 */
class Resolutions {
  private readonly byServer = new Map<unknown, Map<unknown, Map<string, Resolved>>>();
  private readonly envKeys = new Map<NodeJS.ProcessEnv, string>();

  constructor(private readonly sessions: MenderSessions) {}

  get(server: unknown, api: unknown, env: NodeJS.ProcessEnv, host: string): Resolved {
    let byApi = this.byServer.get(server);
    if (!byApi) this.byServer.set(server, (byApi = new Map<unknown, Map<string, Resolved>>()));
    let byEnv = byApi.get(api);
    if (!byEnv) byApi.set(api, (byEnv = new Map<string, Resolved>()));
    const key = this.envKey(env);
    let c = byEnv.get(key);
    if (!c) byEnv.set(key, (c = this.sessions.client({ mender_server: server, mender_api: api }, env, host)));
    return c;
  }

  /** The engine's one environment object unless a task sets `environment:`: its key is made once. */
  private envKey(env: NodeJS.ProcessEnv): string {
    let key = this.envKeys.get(env);
    if (key === undefined) this.envKeys.set(env, (key = JSON.stringify(ENDPOINT_ENV.map((k) => env[k]))));
    return key;
  }
}

/** Items grouped by their server's client; a host whose server cannot be used gets its failure in `failed`. */
function byServer<A>(
  items: Item<A>[],
  failed: Map<string, Result_>,
  sessions: MenderSessions,
): Map<MenderClient, Item<A>[]> {
  const groups = new Map<MenderClient, Item<A>[]>();
  const resolutions = new Resolutions(sessions);
  for (const i of items) {
    const vars = serverVars(i);
    if (!vars.ok) {
      failed.set(i.host, failure(vars.error));
      continue;
    }
    const c = resolutions.get(vars.value.server, vars.value.api, i.ctx.env ?? process.env, i.host);
    if (!c.ok) failed.set(i.host, failure(c.error));
    else if (groups.has(c.value)) groups.get(c.value)!.push(i);
    else groups.set(c.value, [i]);
  }
  return groups;
}

/**
 * What the server depends on: `mender_server` rendered as Ansible renders a variable when it is
 * read, and `mender_api`. Values without a template read the same through the host's view, so
 * they are taken as set: no memo is left in the views of 100k hosts.
 */
function serverVars(i: Item<unknown>): Result<{ server: unknown; api: unknown }> {
  const { vars, templar } = i.ctx;
  const server = rawVar(vars, 'mender_server');
  const api = rawVar(vars, 'mender_api');
  if (templar && !templar.isTemplate(server) && !templar.isTemplate(api)) return ok({ server, api });
  if (!templar?.isTemplate(vars.mender_server)) return ok({ server: vars.mender_server, api: vars.mender_api });
  try {
    return ok({ server: templar.template(vars.mender_server, vars, { host: i.host }), api: vars.mender_api });
  } catch (e) {
    if (e instanceof FleetFailure) return err(e.error);
    throw e;
  }
}

export type FactsOutcome = { facts: Map<string, MenderFacts>; failed: Map<string, Result_> } | { fatal: FleetError };

/**
 * Facts for every item: the `mender` fact a previous mender_facts task set when it is there
 * (and has configuration when needed), else one bulk gathering for the rest.
 */
export async function factsFor(
  client: MenderClient,
  items: Item<{ device_id?: string }>[],
  needConfig: boolean,
): Promise<FactsOutcome> {
  const facts = new Map<string, MenderFacts>();
  const missing: Item<{ device_id?: string }>[] = [];
  for (const i of items) {
    const f = knownFacts(i.ctx.vars.mender);
    if (f && f.id === deviceIdOf(i) && (!needConfig || f.config)) facts.set(i.host, f);
    else missing.push(i);
  }
  const failed = new Map<string, Result_>();
  if (missing.length === 0) return { facts, failed };
  const g = await gatherFacts(client, [...new Set(missing.map(deviceIdOf))], { config: needConfig });
  if (!g.ok) return { fatal: g.error };
  for (const i of missing) {
    const f = g.value.facts.get(deviceIdOf(i));
    if (f) facts.set(i.host, f);
  }
  for (const i of items) {
    const out = unreachableDevice(deviceIdOf(i), facts.get(i.host), client);
    if (!out) continue;
    facts.delete(i.host);
    failed.set(i.host, out);
  }
  return { facts, failed };
}

/**
 * A device the server does not know, or has not accepted (pending, rejected, preauthorized,
 * noauth), cannot be updated: unreachable as ansible says of a host it cannot reach, not a
 * failure of the repository (the plan gate lets the other devices go on).
 */
export function unreachableDevice(id: string, f: MenderFacts | undefined, client: MenderClient): Result_ | undefined {
  if (!f) return { failed: true, unreachable: true, changed: false, msg: unknownDevice(id, client) };
  if (f.status === undefined || f.status === 'accepted') return undefined;
  const msg = `device ${id} is ${f.status} on the ${client.transport.described}, not accepted: accept it there (or take it out of the inventory)`;
  return { failed: true, unreachable: true, changed: false, msg };
}

/** The `mender` fact when it is one: ours as it is, anything else validated. */
function knownFacts(v: unknown): MenderFacts | undefined {
  if (isGathered(v)) return v;
  const parsed = MenderFacts.safeParse(v);
  return parsed.success ? parsed.data : undefined;
}

export function unknownDevice(id: string, client: MenderClient): string {
  return `device ${id} is not known to the ${client.transport.described}: check the host name (or mender_device_id) and that the device is accepted`;
}
