/**
 * mender_config: the desired device configuration per host. Decisions are pure
 * (config-plan.ts); the API has no bulk configuration write, so each changed device costs a PUT
 * (only when `configured` differs) and a deploy, under the client's concurrency and rate limits.
 */
import { z } from 'zod';
import { formatError, ok, type Result } from '../../errors/index.js';
import type { MenderClient } from '../../ota/client.js';
import type { ConfigMap } from '../../ota/schemas.js';
import {
  deviceIdOf,
  factsFor,
  failAll,
  failure,
  onEachServer,
  writes,
  type Item,
  type Result_,
  type BatchTask,
} from './common.js';
import type { Defer, PlanEntry } from '../registry.js';
import { pool } from '../../run/pool.js';
import { configDiffView, normaliseDesired, planConfig, type ConfigDecision } from './config-plan.js';
import { windowGate, WindowArg, type Closed } from './window.js';
import {
  configProgress,
  NO_STAGE_WAVE,
  placed,
  RolloutPolicy,
  StageWaveArg,
  waveVerdicts,
  type WaveVerdict,
} from '../../rollout/index.js';
import type { MenderFacts } from './facts.js';
import { rolloutService } from './rollout.js';

export const ConfigArgs = z.strictObject({
  /** The desired configuration: a mapping (rendered from a JSON template, typically). */
  config: z.record(z.string(), z.unknown()),
  /** Keys or JSON pointers the device writes itself: never drift. */
  ignore: z.array(z.string().min(1)).default([]),
  device_id: z.string().min(1).optional(),
  /** Maintenance windows: outside them the configuration is planned, not written. */
  window: WindowArg,
  /** The stage's rollout policy (`fleetplay_rollout`): a change waits for the device's wave. */
  rollout: RolloutPolicy.optional(),
  /** The host's inventory groups, for a policy's `first:` naming a group. */
  groups: z.array(z.string()).optional(),
  /** A run limited by --limit: the device's verdict from a plan of the whole stage (src/stage/limited.ts). */
  stage_wave: StageWaveArg.optional(),
});
export type ConfigArgs = z.infer<typeof ConfigArgs>;

interface Planned {
  host: string;
  device: string;
  desired: ConfigMap;
  previousDeployment?: string;
  decision: ConfigDecision;
  /** --diff (or the task's diff: keyword) is on for this host. */
  diff: boolean;
}

async function configOn(
  client: MenderClient,
  items: Item<ConfigArgs>[],
  task: BatchTask,
): Promise<Map<string, Result_>> {
  const known = await factsFor(client, items, true);
  if ('fatal' in known) return failAll(items, known.fatal);
  const out = new Map(known.failed);
  const gate = await windowGate(client, items);
  const waves = await configWaves(client, items, known.facts);
  const planned: Planned[] = [];
  for (const i of items) {
    const f = known.facts.get(i.host);
    if (!f) continue;
    const bad = gate.failed.get(i.host);
    if (bad) {
      out.set(i.host, bad);
      continue;
    }
    const desired = normaliseDesired(i.args.config);
    if (!desired.ok) {
      out.set(i.host, { failed: true, msg: formatError(desired.error) });
      continue;
    }
    const cfg = f.config ?? NO_CONFIG;
    const decision = planConfig(desired.value, cfg, i.args.ignore);
    const verdict = waves?.get(deviceIdOf(i));
    // Waves first: a change whose wave has not started waits for its wave, whatever its window.
    if (verdict?.why !== undefined && decision.action === 'deploy') {
      task.report.add(laterEntry(i, decision, verdict, !decision.set && cfg.failed === true));
      out.set(i.host, { changed: false, msg: verdict.why, action: 'later', wave: verdict.wave });
      continue;
    }
    const closed = decision.action === 'deploy' ? gate.closed.get(i.host) : undefined;
    if (closed && decision.action === 'deploy') {
      task.report.add(windowEntry(i, decision, closed));
      out.set(i.host, { changed: false, msg: closed.why, action: 'window', opens: closed.opens });
      continue;
    }
    planned.push({
      host: i.host,
      device: deviceIdOf(i),
      desired: desired.value,
      previousDeployment: cfg.deployment_id,
      decision,
      diff: i.ctx.diff === true,
    });
    const entry = decision.action === 'deploy' ? { from: decision.from, to: decision.to } : {};
    task.report.add({
      host: i.host,
      device_id: deviceIdOf(i),
      kind: 'config',
      action: decision.action,
      ...entry,
      why: decision.why,
      ...(verdict ? { wave: verdict.wave } : {}),
    });
  }
  const live = items.every((i) => writes(i));
  if (live && task.defer) {
    for (const p of planned) out.set(p.host, planned_(p));
    deferWrites(client, task.defer, planned);
    return out;
  }
  const results = await Promise.all(planned.map(async (p) => [p.host, await settle(client, p, live)] as const));
  for (const [host, r] of results) out.set(host, r);
  return out;
}

export const menderConfigBatch = onEachServer(configOn);

/**
 * In waves, each device's verdict: the OS module's of this run (it counted the configuration too),
 * else decided here from the configuration alone (a playbook without mender_os_update before).
 */
async function configWaves(
  client: MenderClient,
  items: Item<ConfigArgs>[],
  facts: Map<string, MenderFacts>,
): Promise<Map<string, WaveVerdict> | undefined> {
  const policy = items[0]?.args.rollout;
  if (!policy) return undefined;
  if (items.some((i) => i.args.stage_wave !== undefined)) return limitedVerdicts(items);
  const shared = items[0].ctx.run?.service(rolloutService);
  const known = new Map<string, WaveVerdict>();
  for (const f of facts.values()) {
    const v = shared?.get(f.id);
    if (v) known.set(f.id, v);
  }
  if (known.size === facts.size) return known;
  const members = items.flatMap((i) => {
    const f = facts.get(i.host);
    return f ? [{ host: i.host, device: f.id, groups: i.args.groups }] : [];
  });
  const progress = new Map(
    items.flatMap((i) => {
      const f = facts.get(i.host);
      const desired = normaliseDesired(i.args.config);
      if (!f) return [];
      const d = desired.ok
        ? planConfig(desired.value, f.config ?? NO_CONFIG, i.args.ignore)
        : { action: 'fail' as const };
      return [[f.id, configProgress(d, f.config)] as const];
    }),
  );
  return waveVerdicts(members, policy, progress, await client.serverTime()).verdicts;
}

/** A limited run: each device's verdict from the whole stage's plan; one it did not place waits (wave 0). */
function limitedVerdicts(items: Item<ConfigArgs>[]): Map<string, WaveVerdict> {
  const out = new Map<string, WaveVerdict>();
  for (const i of items) {
    const v = i.args.stage_wave ?? {};
    out.set(deviceIdOf(i), placed(v) ? v : { wave: 0, why: NO_STAGE_WAVE });
  }
  return out;
}

const NO_CONFIG: NonNullable<MenderFacts['config']> = { configured: {}, reported: {}, deploying: false };

/** A change whose wave has not started (or whose rollout halted): planned (its keys, its wave), not written. */
function laterEntry(
  i: Item<ConfigArgs>,
  d: Extract<ConfigDecision, { action: 'deploy' }>,
  v: WaveVerdict,
  failed: boolean,
): PlanEntry {
  const halted = v.halted ? { halted: true } : {};
  return {
    host: i.host,
    device_id: deviceIdOf(i),
    kind: 'config',
    action: 'later',
    from: d.from,
    to: d.to,
    wave: v.wave,
    ...halted,
    ...(failed ? { deployment_failed: true } : {}),
    why: v.why ?? '',
  };
}

/** A change outside the device's maintenance window: planned (its keys), not written. */
function windowEntry(i: Item<ConfigArgs>, d: Extract<ConfigDecision, { action: 'deploy' }>, c: Closed): PlanEntry {
  return { host: i.host, device_id: deviceIdOf(i), kind: 'config', action: 'window', from: d.from, to: d.to, ...c };
}

/** What the apply phase sends for a device: nothing of the decision's diff (100k of them wait for the gate). */
interface Send {
  host: string;
  device: string;
  /** The configuration to PUT first, when the configured one differs. */
  set?: ConfigMap;
  previousDeployment?: string;
}

/** The plan phase: one write for every device whose configuration changes, sent after the gate. */
function deferWrites(client: MenderClient, defer: Defer, planned: Planned[]): void {
  const sends: Send[] = [];
  for (const p of planned) if (p.decision.action === 'deploy') sends.push(sendOf(p, p.decision.set));
  if (!sends.length) return;
  defer({
    hosts: sends.map((p) => p.host),
    changed: true,
    describe: `configuration deployments for ${sends.length} devices`,
    // A device's PUT and deploy go one after the other, as many devices at once as the client sends requests.
    run: async (only) => {
      const failed = new Map<string, Result_>();
      await pool(
        sends.filter((p) => only.has(p.host)),
        client.transport.concurrency,
        async (p) => {
          const r = await write(client, p);
          if (r) failed.set(p.host, r);
        },
      );
      return failed;
    },
  });
}

const sendOf = (p: Planned, set: boolean): Send => ({
  host: p.host,
  device: p.device,
  ...(set ? { set: p.desired } : {}),
  previousDeployment: p.previousDeployment,
});

/** What a changing device's result will be once its write is sent. */
function planned_(p: Planned): Result_ {
  const d = p.decision;
  if (d.action !== 'deploy') return { changed: false, msg: d.why, action: d.action };
  return { changed: true, msg: d.why, action: d.action, ...(p.diff ? { diff: configDiffView(p.device, d) } : {}) };
}

/** PUT (only when `configured` differs) and deploy; the failure, if any. */
async function write(client: MenderClient, p: Send): Promise<Result_ | undefined> {
  const r = await send(client, p);
  return r.ok ? undefined : Object.assign(failure(r.error), { action: 'deploy' });
}

/** A direct caller (no plan phase): decides and writes in one go. */
async function settle(client: MenderClient, p: Planned, live: boolean): Promise<Result_> {
  const r = planned_(p);
  if (!r.changed) return r;
  if (!live) return { ...r, msg: `would: ${p.decision.why}` };
  const sent = await send(client, sendOf(p, p.decision.action === 'deploy' && p.decision.set));
  return sent.ok ? { ...r, deployment: sent.value } : failure(sent.error);
}

/** The configuration (when `configured` differs) and its deployment; the deployment id. */
async function send(client: MenderClient, p: Send): Promise<Result<string>> {
  if (p.set) {
    const s = await client.setDeviceConfig(p.device, p.set);
    if (!s.ok) return s;
  }
  const r = await client.deployDeviceConfig(p.device, p.previousDeployment);
  return r.ok ? ok(r.value.deploymentId) : r;
}

export const menderConfigModule = {
  name: 'mender_config',
  aliases: ['fleetplay.mender.config'],
  args: ConfigArgs,
  checkMode: true,
  plans: 'config' as const,
  runBatch: menderConfigBatch,
};
