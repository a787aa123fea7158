/**
 * What the OTA server says about this commit's images, for the wave decision: each device's latest
 * deployment of one of them (status and finish time), read in bulk — the software deployment
 * list (500 a page), then the device list of each deployment of a wanted image.
 */
import { ok, type Result } from '../errors/index.js';
import type { MenderClient } from '../ota/client.js';
import type { Deployment, DeviceInDeployment } from '../ota/schemas.js';

/** A device's latest deployment of a wanted image. */
export interface DeviceRecord {
  deployment: string;
  artifact: string;
  status: string;
  /** ms */
  finished?: number;
}

/**
 * Device lists of finished deployments, by deployment id: they no longer change, so a caller that
 * asks again and again (the monitor, every look) reads each of them once.
 */
export type FinishedLists = Map<string, Result<DeviceInDeployment[]>>;

/** Device id → its latest deployment of one of `artifacts` created since `since`. */
export async function latestDeployments(
  client: MenderClient,
  artifacts: readonly string[],
  since: Date,
  finished?: FinishedLists,
): Promise<Result<Map<string, DeviceRecord>>> {
  const wanted = new Set(artifacts);
  const list = await client.listDeployments({ type: 'software', createdAfter: since });
  if (!list.ok) return list;
  // Oldest first, so the latest deployment of a device wins.
  const ours = list.value.filter((d) => wanted.has(d.artifact_name)).sort((a, b) => a.created.localeCompare(b.created));
  const answers = await Promise.all(ours.map((d) => devicesOf(client, d, finished)));
  const out = new Map<string, DeviceRecord>();
  for (const [i, d] of ours.entries()) {
    const a = answers[i];
    if (!a.ok) return a;
    for (const dev of a.value) {
      const finished = dev.finished ? Date.parse(dev.finished) : NaN;
      out.set(dev.id, {
        deployment: d.id,
        artifact: d.artifact_name,
        status: dev.status,
        ...(Number.isFinite(finished) ? { finished } : {}),
      });
    }
  }
  return ok(out);
}

async function devicesOf(
  client: MenderClient,
  d: Deployment,
  finished: FinishedLists | undefined,
): Promise<Result<DeviceInDeployment[]>> {
  const kept = finished?.get(d.id);
  if (kept?.ok) return kept;
  const read = await client.deploymentDevices(d.id);
  if (read.ok && d.status === 'finished') finished?.set(d.id, read);
  return read;
}

const FAILED = new Set(['failure', 'noartifact']);

/** A device's failed deployment (src/modules/mender/gather.ts's PastFailure). */
export interface Failure {
  deployment: string;
  artifact_name: string;
  finished?: string;
}

/**
 * `failures` (device → its failed deployment, from the finished deployments) with the devices
 * whose latest deployment failed while others of it still run: held back just the same.
 */
export function withFailed(
  failures: ReadonlyMap<string, Failure>,
  records: ReadonlyMap<string, DeviceRecord>,
): Map<string, Failure> {
  const out = new Map(failures);
  for (const [device, r] of records) {
    if (!FAILED.has(r.status) || out.has(device)) continue;
    const finished = r.finished === undefined ? {} : { finished: new Date(r.finished).toISOString() };
    out.set(device, { deployment: r.deployment, artifact_name: r.artifact, ...finished });
  }
  return out;
}
