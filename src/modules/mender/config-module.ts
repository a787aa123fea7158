/**
 * mender_config: the desired device configuration per host. Decisions are pure
 * (config-plan.ts); the API has no bulk configuration write, so each changed device costs a PUT
 * (only when `configured` differs) and a deploy, under the client's concurrency and rate limits.
 */
import { z } from 'zod';
import { formatError } from '../../errors/index.js';
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
  type Sink,
} from './common.js';
import { configDiffView, normaliseDesired, planConfig, type ConfigDecision } from './config-plan.js';

export const ConfigArgs = z.strictObject({
  /** The desired configuration: a mapping (rendered from a JSON template, typically). */
  config: z.record(z.string(), z.unknown()),
  /** Keys or JSON pointers the device writes itself: never drift. */
  ignore: z.array(z.string().min(1)).default([]),
  device_id: z.string().min(1).optional(),
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
  task: { name: string; report: Sink },
): Promise<Map<string, Result_>> {
  const known = await factsFor(client, items, true);
  if ('fatal' in known) return failAll(items, known.fatal);
  const out = new Map(known.failed);
  const planned: Planned[] = [];
  for (const i of items) {
    const f = known.facts.get(i.host);
    if (!f) continue;
    const desired = normaliseDesired(i.args.config);
    if (!desired.ok) {
      out.set(i.host, { failed: true, msg: formatError(desired.error) });
      continue;
    }
    const cfg = f.config ?? { configured: {}, reported: {}, deploying: false };
    const decision = planConfig(desired.value, cfg, i.args.ignore);
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
  const results = await Promise.all(planned.map(async (p) => [p.host, await settle(client, p, live)] as const));
  for (const [host, r] of results) out.set(host, r);
  return out;
}

export const menderConfigBatch = onEachServer(configOn);

async function settle(client: MenderClient, p: Planned, live: boolean): Promise<Result_> {
  const d = p.decision;
  if (d.action !== 'deploy') return { changed: false, msg: d.why, action: d.action };
  const diff = p.diff ? { diff: configDiffView(p.device, d) } : {};
  if (!live) return { changed: true, msg: `would: ${d.why}`, action: d.action, ...diff };
  if (d.set) {
    const s = await client.setDeviceConfig(p.device, p.desired);
    if (!s.ok) return failure(s.error);
  }
  const r = await client.deployDeviceConfig(p.device, p.previousDeployment);
  if (!r.ok) return failure(r.error);
  return { changed: true, msg: d.why, action: d.action, deployment: r.value.deploymentId, ...diff };
}

export const menderConfigModule = {
  name: 'mender_config',
  aliases: ['fleetplay.mender.config'],
  args: ConfigArgs,
  checkMode: true,
  plans: 'config' as const,
  runBatch: menderConfigBatch,
};
