/**
 * What the OTA server says about the subscribed devices, with as few requests as the API allows:
 * one inventory search per 500 devices; the software deployment list (500 a page); the device
 * lists of only those deployments of a wanted image that are running or had failures (running
 * ones whole, finished ones filtered to failures); one statistics/list per 100 configuration
 * deployments. Two reads have no bulk form in the Mender API: a device's configuration (read only
 * for devices whose configuration the branch manages) and a device's deployment log (read for at
 * most `maxLogs` failed devices).
 */
import { z } from 'zod';
import { ok, type Result } from '../errors/index.js';
import type { MenderClient } from '../ota/client.js';
import type { Deployment, DeviceInDeployment } from '../ota/schemas.js';
import { factsFromInventory } from '../modules/mender/facts.js';
import type { SelectAttribute } from '../ota/client.js';
import type { DeploymentOfDevice, DesiredDevice, ObservedDevice } from './model.js';

const M = '/api/management';

const LOG_TAIL = 12;

/** Only what the classification reads: smaller search pages parse faster (100k devices per look). */
const ATTRIBUTES: SelectAttribute[] = [
  { scope: 'inventory', attribute: 'artifact_name' },
  { scope: 'inventory', attribute: 'rootfs-image.version' },
  { scope: 'system', attribute: 'check_in_time' },
];

export interface Observation {
  devices: Map<string, ObservedDevice>;
  /** Server time (its Date header) in ms, else the runner's clock. */
  now: number;
}

export async function observe(
  client: MenderClient,
  wants: DesiredDevice[],
  opts: { maxLogs?: number } = {},
): Promise<Result<Observation>> {
  const ids = wants.map((w) => w.device);
  // A device waiting for its wave is watched too: its wave may start while the monitor waits.
  const artifacts = new Set(wants.map((w) => w.artifact ?? w.laterArtifact).filter((a): a is string => !!a));
  const [now, inv, os] = await Promise.all([
    client.serverTime(),
    client.searchDevices({ deviceIds: ids, attributes: ATTRIBUTES }),
    softwareByDevice(client, artifacts),
  ]);
  if (!inv.ok) return inv;
  if (!os.ok) return os;
  const devices = new Map<string, ObservedDevice>(ids.map((id) => [id, { id, found: false, os: [] }]));
  for (const raw of inv.value) {
    const f = factsFromInventory(raw);
    devices.set(f.id, {
      id: f.id,
      found: true,
      artifact: f.artifact_name ?? f.rootfs_image_version,
      checkIn: f.check_in_time,
      os: os.value.get(f.id) ?? [],
    });
  }
  const managed = wants.filter((w) => (w.config || w.configLater) && devices.get(w.device)?.found).map((w) => w.device);
  const cfg = await configs(client, managed);
  if (!cfg.ok) return cfg;
  for (const [id, c] of cfg.value) devices.get(id)!.config = c;
  await addLogTails(client, devices, opts.maxLogs ?? 20);
  return ok({ devices, now });
}

/** Failures of a deployment when the list already carries its statistics (Mender v2 does), else undefined. */
function listedFailures(d: Deployment): number | undefined {
  const s = (d as { statistics?: { status?: Record<string, number> } }).statistics?.status;
  return s === undefined ? undefined : (s.failure ?? 0) + (s.noartifact ?? 0);
}

/** Device → deployments of a wanted image naming it, oldest first. */
async function softwareByDevice(
  client: MenderClient,
  artifacts: Set<string>,
): Promise<Result<Map<string, DeploymentOfDevice[]>>> {
  const out = new Map<string, DeploymentOfDevice[]>();
  if (artifacts.size === 0) return ok(out);
  const list = await client.listDeployments({ type: 'software' });
  if (!list.ok) return list;
  const relevant = list.value
    .filter((d) => artifacts.has(d.artifact_name))
    .sort((a, b) => a.created.localeCompare(b.created));
  const finished = relevant.filter((d) => d.status === 'finished');
  const failures = await failuresOf(client, finished);
  if (!failures.ok) return failures;
  const read = relevant.filter((d) => d.status !== 'finished' || failures.value.has(d.id));
  const answers = await Promise.all(
    read.map((d) => client.deploymentDevices(d.id, d.status === 'finished' ? 'failure' : undefined)),
  );
  for (const [i, d] of read.entries()) {
    const a = answers[i];
    if (!a.ok) return a;
    for (const dev of a.value) push(out, dev.id, ofDevice(d, dev));
  }
  return ok(out);
}

/** Finished deployments with a failed device: from the list itself, else statistics/list (100 a request). */
async function failuresOf(client: MenderClient, finished: Deployment[]): Promise<Result<Set<string>>> {
  const out = new Set(finished.filter((d) => (listedFailures(d) ?? 0) > 0).map((d) => d.id));
  const unknown = finished.filter((d) => listedFailures(d) === undefined);
  if (unknown.length === 0) return ok(out);
  const stats = await client.deploymentStatistics(unknown.map((d) => d.id));
  if (!stats.ok) return stats;
  for (const s of stats.value) if (s.stats.failure + s.stats.noartifact > 0) out.add(s.id);
  return ok(out);
}

function ofDevice(d: Deployment, dev: DeviceInDeployment): DeploymentOfDevice {
  return {
    id: d.id,
    name: d.name,
    artifact: d.artifact_name,
    status: dev.status,
    created: d.created,
    hasLog: (dev as { log?: unknown }).log === true,
  };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Configuration per device (no bulk read exists), then the status of each one's deployment in bulk. */
async function configs(
  client: MenderClient,
  ids: string[],
): Promise<Result<Map<string, NonNullable<ObservedDevice['config']>>>> {
  const read = await client.getDeviceConfigs(ids);
  if (!read.ok) return read;
  const out = new Map<string, NonNullable<ObservedDevice['config']>>();
  const depIds: string[] = [];
  for (const [id, c] of read.value) {
    out.set(id, { configured: c.configured ?? {}, reported: c.reported ?? {} });
    if (c.deployment_id) depIds.push(c.deployment_id);
  }
  if (depIds.length === 0) return ok(out);
  const stats = await client.deploymentStatistics(depIds);
  if (!stats.ok) return stats;
  const status = new Map(stats.value.map((s) => [s.id, singleStatus(s.stats as unknown as Record<string, number>)]));
  for (const [id, c] of read.value) {
    const depId = c.deployment_id;
    const st = depId ? status.get(depId) : undefined;
    if (depId && st)
      out.get(id)!.deployment = {
        id: depId,
        artifact: 'configuration',
        status: st,
        created: '',
        hasLog: st === 'failure',
      };
  }
  return ok(out);
}

/** A configuration deployment names one device: its status is the one counter that is not zero. */
function singleStatus(stats: Record<string, number>): string | undefined {
  return Object.entries(stats).find(([, n]) => n > 0)?.[0];
}

/** The last lines of the deployment log of failed devices, for the first `max` of them. */
async function addLogTails(client: MenderClient, devices: Map<string, ObservedDevice>, max: number): Promise<void> {
  const failed: [string, DeploymentOfDevice][] = [];
  for (const d of devices.values()) {
    const last = [d.os[d.os.length - 1], d.config?.deployment].filter(
      (x): x is DeploymentOfDevice => !!x && x.hasLog && x.status === 'failure',
    );
    for (const x of last) failed.push([d.id, x]);
  }
  await Promise.all(
    failed.slice(0, max).map(async ([device, dep]) => {
      const r = await client.transport.request({
        op: `GET ${M}/v1/deployments/deployments/{id}/devices/{id}/log`,
        method: 'GET',
        path: `${M}/v1/deployments/deployments/${encodeURIComponent(dep.id)}/devices/${encodeURIComponent(device)}/log`,
        schema: z.string(),
        okStatus: (s) => (s >= 200 && s < 300) || s === 404,
      });
      if (r.ok && r.value.status === 200) dep.logTail = r.value.data.trimEnd().split('\n').slice(-LOG_TAIL);
    }),
  );
}
