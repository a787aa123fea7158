/**
 * mender_os_update: the desired OS artifact per host. Decisions are pure (os-plan.ts); this file
 * does the writes in bulk: aborts grouped by deployment, then one deployment per artifact and
 * batch naming many devices.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ok, type FleetError, type Result } from '../../errors/index.js';
import type { MenderClient } from '../../ota/client.js';
import { factsFor, failAll, failure, onEachServer, writes, type Item, type Result_, type BatchTask } from './common.js';
import type { Defer, PlanEntry } from '../registry.js';
import { recentFailures, type PastFailure } from './gather.js';
import {
  byVerdicts,
  configProgress,
  latestDeployments,
  placed,
  StageWaveArg,
  planWaves,
  RolloutPolicy,
  withFailed,
  type DeviceProgress,
  type DeviceRecord,
  type WaveVerdict,
} from '../../rollout/index.js';
import { normaliseDesired, planConfig } from './config-plan.js';
import { rolloutService } from './rollout.js';
import type { MenderFacts } from './facts.js';
import {
  catalog,
  fitCap,
  groupDeployments,
  type CapRoom,
  osDiffView,
  planAborts,
  planOsUpdate,
  outsideWindow,
  redeployAfterAbort,
  writesFor,
  type OsDecision,
} from './os-plan.js';
import { windowGate, WindowArg } from './window.js';

/** A templated value arrives as text ("{{ n | int }}" gives "2"): as ansible's `type: int` takes digits. */
function intText(v: unknown): unknown {
  return typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
}

export const OsArgs = z.strictObject({
  /** Artifact name the device should run (its rootfs-image / artifact_name). */
  artifact: z.string().min(1),
  device_id: z.string().min(1).optional(),
  /** Devices named by one deployment; more devices → more deployments. */
  batch_size: z.number().int().min(1).max(10_000).default(1000),
  /** Deployment name prefix; a run tag and the artifact are appended. */
  deployment_name: z.string().min(1).default('fleetplay'),
  /** Deploy again to a device whose deployment of this artifact failed (within the last 30 days). */
  retry_failed: z.boolean().default(false),
  /** Maintenance windows: outside them the OS update is planned, not written. */
  window: WindowArg,
  /** Mender's deployment `retries`: how many times a device retries a failed update before it counts as failed. */
  retries: z.preprocess(intText, z.number().int().min(0)).default(0),
  /** The stage's rollout policy (`fleetplay_rollout`, from fleetplay.yml): deploy wave by wave. */
  rollout: RolloutPolicy.optional(),
  /** The host's inventory groups, for a policy's `first:` naming a group. */
  groups: z.array(z.string()).optional(),
  /**
   * In waves: the configuration this commit wants on the device (mender_config's `config` and
   * `ignore`), so that its wave progress counts both changes (src/rollout/progress.ts).
   */
  config: z.record(z.string(), z.unknown()).optional(),
  config_ignore: z.array(z.string()).default([]),
  /** A run limited by --limit: the device's verdict from a plan of the whole stage (src/stage/limited.ts). */
  stage_wave: StageWaveArg.optional(),
});

/** How far back a failed deployment holds a device back. */
export const FAILURE_WINDOW_MS = 30 * 24 * 3600 * 1000;
export type OsArgs = z.infer<typeof OsArgs>;

async function osUpdateOn(client: MenderClient, items: Item<OsArgs>[], task: BatchTask): Promise<Map<string, Result_>> {
  const known = await factsFor(client, items, false);
  if ('fatal' in known) return failAll(items, known.fatal);
  const byHost = new Map(items.map((i) => [i.host, i]));
  const wanted = [...new Set([...known.facts.keys()].map((h) => byHost.get(h)!.args.artifact))];
  const arts = await client.listArtifacts(wanted);
  if (!arts.ok) return failAll(items, arts.error);
  const cat = catalog(arts.value);
  const policy = items[0].args.rollout;
  const past = await history(client, wanted, policy !== undefined);
  if (!past.ok) return failAll(items, past.error);
  const gate = await windowGate(client, items);
  const out = new Map([...known.failed, ...gate.failed]);
  let decisions = [...known.facts].flatMap(([host, facts]) => {
    if (gate.failed.has(host)) return [];
    const args = byHost.get(host)!.args;
    return [
      planOsUpdate({ host, facts, desired: args.artifact }, cat, past.value.failures.get(facts.id), args.retry_failed),
    ];
  });
  // Waves first: a device whose wave has not started waits for its wave, whatever its window.
  if (policy && past.value.records) decisions = inWaves(decisions, known.facts, items, policy, past.value);
  decisions = decisions.map((d) => keepWave(outsideWindow(d, gate.closed.get(d.host)), d.wave));
  decisions = redeployAfterAbort(decisions, planAborts(decisions));
  const room = await capRoom(client, decisions);
  if (!room.ok) return failAll(items, room.error);
  const waveOf = new Map(decisions.map((d) => [d.device, d.wave]));
  decisions = fitCap(decisions, room.value, items[0].args.batch_size).map((d) => keepWave(d, waveOf.get(d.device)));
  const aborts = planAborts(decisions);
  for (const d of decisions) task.report.add(planEntry(d));
  const live = items.every((i) => writes(i));
  const writeFailures = !live
    ? new Map<string, Result_>()
    : task.defer
      ? deferWrite(task.defer, client, decisions, items[0].args)
      : await apply(client, decisions, aborts, items[0].args);
  for (const d of decisions)
    out.set(d.host, withDiff(resultOf(d, writeFailures.get(d.device), live), d, byHost.get(d.host)!.ctx.diff === true));
  return out;
}

export const menderOsUpdateBatch = onEachServer(osUpdateOn);

/**
 * The room the server's cap leaves (read only when something is to be deployed): the active
 * software deployments counted in two requests, whatever the fleet's size; the ones this fleet's
 * devices wait for are told apart so the plan can say how many are from elsewhere.
 */
async function capRoom(client: MenderClient, decisions: OsDecision[]): Promise<Result<CapRoom>> {
  const cap = client.maxActiveDeployments;
  if (cap <= 0 || !decisions.some((d) => d.action === 'deploy')) return ok({ cap: 0, active: 0, ours: 0 });
  const active = await client.countActiveDeployments();
  if (!active.ok) return active;
  const ours = new Set(decisions.flatMap((d) => (d.action === 'wait' ? [d.deployment] : []))).size;
  return ok({ cap, active: active.value, ours: Math.min(ours, active.value) });
}

/** outsideWindow makes a new decision: the device's wave goes with it. */
const keepWave = (d: OsDecision, wave: number | undefined): OsDecision =>
  wave === undefined || d.wave === wave ? d : Object.assign(d, { wave });

interface History {
  /** The OTA server's clock in waves (soak times are the server's), else the runner's. */
  now: number;
  failures: Map<string, PastFailure>;
  /** In waves: each device's latest deployment of its image. */
  records?: Map<string, DeviceRecord>;
}

/** Failed deployments that hold devices back; in waves, each device's latest deployment of its image too. */
async function history(client: MenderClient, artifacts: string[], waves: boolean): Promise<Result<History>> {
  const now = waves ? await client.serverTime() : Date.now();
  const since = new Date(now - FAILURE_WINDOW_MS);
  const [failures, records] = await Promise.all([
    recentFailures(client, artifacts, since),
    waves ? latestDeployments(client, artifacts, since) : undefined,
  ]);
  if (!failures.ok) return failures;
  if (!records) return ok({ now, failures: failures.value });
  if (!records.ok) return records;
  // A device that failed inside a deployment still running (others of it pending) is held too.
  return ok({ now, failures: withFailed(failures.value, records.value), records: records.value });
}

/** The stage rolls out in waves: which wave may go now, from the server's deployments and clock. */
function inWaves(
  decisions: OsDecision[],
  facts: Map<string, MenderFacts>,
  items: Item<OsArgs>[],
  policy: RolloutPolicy,
  past: History,
): OsDecision[] {
  const inFlight = new Map([...facts.values()].map((f) => [f.id, f.deployments]));
  const shared = items[0].ctx.run?.service(rolloutService);
  const given = stageVerdicts(facts, items);
  if (given) {
    shared?.record(new Map([...given].filter((e): e is [string, WaveVerdict] => placed(e[1]))));
    return byVerdicts(decisions, given, inFlight);
  }
  const groups = new Map(items.map((i) => [i.host, i.args.groups ?? []]));
  const members = [...facts].map(([host, f]) => ({ host, device: f.id, groups: groups.get(host) }));
  const records = past.records ?? new Map<string, DeviceRecord>();
  const config = configSide(facts, items);
  const planned = planWaves({ decisions, members, policy, records, inFlight, now: past.now, config });
  shared?.record(planned.verdicts);
  return planned.decisions;
}

/** A limited run's verdicts (device → the whole stage's verdict), when the play passes them. */
function stageVerdicts(facts: Map<string, MenderFacts>, items: Item<OsArgs>[]): Map<string, StageWaveArg> | undefined {
  if (!items.some((i) => i.args.stage_wave !== undefined)) return undefined;
  const out = new Map<string, StageWaveArg>();
  for (const i of items) {
    const f = facts.get(i.host);
    if (f) out.set(f.id, i.args.stage_wave ?? {});
  }
  return out;
}

/**
 * Device → its progress against the configuration the commit wants, for the hosts given one
 * (`config`) whose configuration the play read before this task (the default playbook does in waves).
 */
function configSide(facts: Map<string, MenderFacts>, items: Item<OsArgs>[]): Map<string, DeviceProgress> {
  const out = new Map<string, DeviceProgress>();
  for (const i of items) {
    const f = facts.get(i.host);
    if (!f?.config || i.args.config === undefined) continue;
    const desired = normaliseDesired(i.args.config);
    const decision = desired.ok
      ? planConfig(desired.value, f.config, i.args.config_ignore)
      : { action: 'fail' as const };
    out.set(f.id, configProgress(decision, f.config));
  }
  return out;
}

/** The decision as the report's plan keeps it (src/plan builds the typed plan from it). */
export function planEntry(d: OsDecision): PlanEntry {
  const e: PlanEntry = {
    host: d.host,
    device_id: d.device,
    kind: 'os',
    action: d.action,
    from: d.from,
    to: d.to,
    why: d.why,
  };
  if ('abort' in d && d.abort.length) e.abort = d.abort.map((a) => a.id);
  if (d.action === 'wait' || d.action === 'held') e.deployment = d.deployment;
  if (d.action === 'held' && d.failedAt) e.failed_at = d.failedAt;
  if (d.action === 'window') Object.assign(e, { opens: d.opens, window: d.window });
  if (d.wave !== undefined) e.wave = d.wave;
  if (d.action === 'later' && d.halted) Object.assign(e, { halted: true, halted_wave: d.haltedWave });
  if (d.action === 'later' && d.opens) e.opens = d.opens;
  return e;
}

/** In diff mode a changed result carries before/after (ansible's `diff`), shown by `--diff`. */
function withDiff(r: Result_, d: OsDecision, diff: boolean): Result_ {
  const view = diff && r.changed ? osDiffView(d) : undefined;
  return view ? Object.assign({}, r, { diff: view }) : r;
}

function resultOf(d: OsDecision, failed: Result_ | undefined, live: boolean): Result_ {
  if (d.action === 'fail') return { failed: true, msg: d.why, action: d.action };
  if (d.action === 'held') return { changed: false, msg: d.why, action: d.action, warnings: [heldWarning(d)] };
  if (d.action === 'window') return { changed: false, msg: d.why, action: d.action, opens: d.opens };
  if (failed) return Object.assign({}, failed, { action: d.action });
  const changed = d.action === 'deploy' || d.action === 'abort' || (d.action === 'later' && d.abort.length > 0);
  return { changed, msg: live || !changed ? d.why : `would: ${d.why}`, action: d.action, from: d.from, to: d.to };
}

/**
 * A held device is a warning (ansible prints a result's warnings without -v, a module's way to
 * say "look at this"): which device, which deployment failed when, and the command that retries.
 * The hint is the default playbook's: its os_update role passes `-e retry_failed` to this module.
 */
function heldWarning(d: Extract<OsDecision, { action: 'held' }>): string {
  const who = d.host === d.device ? d.host : `${d.host} (${d.device})`;
  const when = d.failedAt ? ` on ${d.failedAt}` : '';
  return `held back: ${who}: deployment ${d.deployment} of ${d.to} failed${when}; retry with: fleetplay run -e retry_failed=true`;
}

/**
 * The plan phase: the writes go to the engine, to be sent after the plan gate; no failures yet.
 * The write keeps only the decisions that write and the arguments it sends (made here, not in
 * osUpdateOn: a closure there would keep the batch — every host's variables — until the apply).
 */
function deferWrite(defer: Defer, client: MenderClient, decisions: OsDecision[], args: OsArgs): Map<string, Result_> {
  const writing = decisions.filter(writesFor);
  if (writing.length) {
    const deploys = new Set(writing.filter((d) => d.action === 'deploy').map((d) => d.to)).size;
    const what = `${deploys} artifact${deploys === 1 ? '' : 's'}`;
    const sent = { batch_size: args.batch_size, deployment_name: args.deployment_name, retries: args.retries };
    defer({
      hosts: writing.map((d) => d.host),
      changed: true,
      describe: `OS deployments of ${what} for ${writing.length} devices`,
      run: (only) => applyFor(client, writing, only, sent),
    });
  }
  return new Map();
}

/**
 * The apply phase for the hosts the gate let through: aborts planned again over them (a
 * deployment is aborted whole only when every device of it is among them). Host → failure.
 */
async function applyFor(
  client: MenderClient,
  decisions: OsDecision[],
  only: ReadonlySet<string>,
  args: Naming,
): Promise<Map<string, Result_>> {
  const mine = decisions.filter((d) => only.has(d.host));
  const aborts = planAborts(mine);
  const failedDevices = await apply(client, redeployAfterAbort(mine, aborts), aborts, args);
  const out = new Map<string, Result_>();
  for (const d of mine) {
    const f = failedDevices.get(d.device);
    if (f) out.set(d.host, Object.assign({}, f, { action: d.action }));
  }
  return out;
}

/** What the writes need of the arguments: how deployments are cut and named. */
type Naming = Pick<OsArgs, 'batch_size' | 'deployment_name' | 'retries'>;

/** Writes the plan; returns device → failure for the devices whose write failed. */
async function apply(
  client: MenderClient,
  decisions: OsDecision[],
  aborts: ReturnType<typeof planAborts>,
  args: Naming,
): Promise<Map<string, Result_>> {
  const failed = new Map<string, Result_>();
  const failDevices = (devices: Iterable<string>, e: FleetError) => {
    for (const d of devices) failed.set(d, failure(e));
  };
  const byDeployment = devicesByAbortedDeployment(decisions);
  await Promise.all([
    ...aborts.whole.map(async (id) => {
      const r = await client.abortDeployment(id);
      if (!r.ok) failDevices(byDeployment.get(id) ?? [], r.error);
    }),
    ...aborts.perDevice.map(async (dev) => {
      const r = await client.abortDeviceDeployments(dev);
      if (!r.ok) failDevices([dev], r.error);
    }),
  ]);
  const tag = runTag();
  const planned = groupDeployments(
    decisions.filter((d) => !failed.has(d.device)),
    {
      batchSize: args.batch_size,
      name: (a, i, n) => `${args.deployment_name} ${a} ${tag}${n > 1 ? ` ${i}/${n}` : ''}`,
    },
  );
  await Promise.all(
    planned.map(async (p) => {
      const r = await client.createDeployment(args.retries ? { ...p, retries: args.retries } : p);
      if (!r.ok) failDevices(p.devices, r.error);
    }),
  );
  return failed;
}

function devicesByAbortedDeployment(decisions: OsDecision[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const d of decisions) {
    if (!('abort' in d)) continue;
    for (const a of d.abort) m.set(a.id, [...(m.get(a.id) ?? []), d.device]);
  }
  return m;
}

/** Unique per run, so a retried create finds its own deployment by name and nobody else's. */
function runTag(): string {
  return `${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}-${randomBytes(3).toString('hex')}`;
}

export const menderOsUpdateModule = {
  name: 'mender_os_update',
  aliases: ['fleetplay.mender.os_update'],
  args: OsArgs,
  checkMode: true,
  plans: 'os' as const,
  runBatch: menderOsUpdateBatch,
};
