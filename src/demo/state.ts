/**
 * Where each device stands, from the OTA server only (as the monitor sees it): what it runs and
 * follows from one inventory search, the outcome of its latest OS deployment from its history.
 * A stage is green when every device following it runs what the stage's commit wants.
 */
import { formatError } from '../errors/index.js';
import { gatherFacts } from '../modules/mender/gather.js';
import type { MenderClient } from '../ota/index.js';
import type { Device } from './fleet.js';

export type Status = 'up to date' | 'updating' | 'failed' | 'out of date';

export interface DeviceState {
  device: Device;
  branch: string;
  installed: string;
  /** What its branch wants, as far as the demo has run that branch. */
  desired: string;
  status: Status;
  /** The artifact of the latest OS deployment and how it ended for this device. */
  last?: { artifact: string; status: string };
}

const IN_FLIGHT = new Set(['pending', 'downloading', 'installing', 'rebooting', 'pause_before_installing', 'pause_before_rebooting', 'pause_before_committing']);

export async function readStates(client: MenderClient, devices: Device[], desired: Map<string, string>): Promise<DeviceState[]> {
  const g = await gatherFacts(client, devices.map((d) => d.id), { config: false });
  if (!g.ok) throw new Error(formatError(g.error));
  return Promise.all(
    devices.map(async (device) => {
      const f = g.value.facts.get(device.id);
      const installed = f?.artifact_name ?? 'unknown';
      const last = await lastOsDeployment(client, device.id);
      const want = desired.get(device.id) ?? device.image;
      return { device, branch: f?.subscribed_branch ?? device.branch ?? '-', installed, desired: want, status: statusOf(installed, want, last), last };
    }),
  );
}

async function lastOsDeployment(client: MenderClient, id: string): Promise<DeviceState['last']> {
  const h = await client.deviceDeployments(id);
  if (!h.ok) throw new Error(formatError(h.error));
  const os = h.value.filter((d) => d.deployment.type !== 'configuration');
  const latest = os.sort((a, b) => String(b.deployment.created ?? '').localeCompare(String(a.deployment.created ?? '')))[0];
  return latest ? { artifact: latest.deployment.artifact_name ?? '?', status: latest.device.status } : undefined;
}

export function statusOf(installed: string, desired: string, last: DeviceState['last']): Status {
  if (last && IN_FLIGHT.has(last.status)) return 'updating';
  if (installed === desired) return 'up to date';
  if (last && last.artifact === desired && (last.status === 'failure' || last.status === 'noartifact')) return 'failed';
  return 'out of date';
}

export type Verdict = 'green' | 'red' | 'pending';

/** The stage's verdict, as the monitor would publish it on the stage's commit. */
export function verdictOf(states: DeviceState[], branch: string): Verdict {
  const mine = states.filter((s) => s.branch === branch);
  if (mine.some((s) => s.status === 'failed')) return 'red';
  return mine.every((s) => s.status === 'up to date') ? 'green' : 'pending';
}
