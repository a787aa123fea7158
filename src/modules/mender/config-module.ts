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

export const ConfigArgs = z.strictObject({
  /** The desired configuration: a mapping (rendered from a JSON template, typically). */
  config: z.record(z.string(), z.unknown()),
  /** Keys or JSON pointers the device writes itself: never drift. */
  ignore: z.array(z.string().min(1)).default([]),
  device_id: z.string().min(1).optional(),
  /** Maintenance windows: outside them the configuration is planned, not written. */
  window: WindowArg,
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
    const cfg = f.config ?? { configured: {}, reported: {}, deploying: false };
    const decision = planConfig(desired.value, cfg, i.args.ignore);
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
