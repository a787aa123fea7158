/**
 * Where each device stands, as the monitor (src/monitor) sees it: what the branch's latest run
 * wanted (its plan) against what the OTA server reports, classified converged / pending /
 * in progress / drift / offline / failed. A stage is green when the monitor's verdict is success.
 */
import { formatError } from '../errors/index.js';
import { gatherFacts } from '../modules/mender/gather.js';
import { desiredFromPlan, follow, stateLabel, type Desired, type Snapshot } from '../monitor/index.js';
import type { MenderClient } from '../ota/index.js';
import type { Device } from './fleet.js';
import type { JobOutcome } from './job.js';

export interface DeviceState {
  device: Device;
  branch: string;
  installed: string;
  /** The monitor's word for it: converged, in progress, failed, … */
  status: string;
}

export type Verdict = 'green' | 'red' | 'pending';

const VERDICT: Record<Snapshot['verdict']['commitState'], Verdict> = {
  success: 'green',
  failure: 'red',
  pending: 'pending',
};

export const verdictOf = (s: Snapshot): Verdict => VERDICT[s.verdict.commitState];

/** The branch each device follows: what it reports itself, else the inventory. */
export async function subscriptions(client: MenderClient, devices: Device[]): Promise<Map<string, string>> {
  const g = await gatherFacts(
    client,
    devices.map((d) => d.id),
    { config: false },
  );
  if (!g.ok) throw new Error(formatError(g.error));
  return new Map(devices.map((d) => [d.id, g.value.facts.get(d.id)?.subscribed_branch ?? d.branch ?? '-']));
}

/** What a run wanted, in the monitor's terms. */
export function desiredOf(run: JobOutcome): Desired {
  return {
    source: 'engine',
    branch: run.branch,
    commit: run.commit,
    ...desiredFromPlan(run.plan),
  };
}

export interface Clock {
  /** Lets simulated time pass (the embedded server's manual clock). */
  advance(ms: number): Promise<void>;
  /** Simulated ms since the demo began. */
  now(): number;
}

/** Looks until the branch settles (or 20 simulated minutes pass), a simulated minute between looks. */
export async function watchBranch(client: MenderClient, run: JobOutcome, clock: Clock, wait = true): Promise<Snapshot> {
  const o = {
    branch: run.branch,
    commit: run.commit,
    offlineAfterMs: 3_600_000,
    maxFailed: { kind: 'count' as const, n: 0 },
  };
  const s = await follow(
    client,
    desiredOf(run),
    { ...o, wait, timeoutMs: 20 * 60_000, intervalMs: 60_000 },
    { sleep: (ms) => clock.advance(ms), now: () => clock.now() },
  );
  if (!s.ok) throw new Error(formatError(s.error));
  return s.value;
}

/** The table's rows: each device as the monitor of its own branch sees it. */
export function statesOf(devices: Device[], snaps: Snapshot[]): DeviceState[] {
  return devices.map((device) => {
    const snap = snaps.find((s) => s.devices.some((d) => d.device === device.id));
    const seen = snap?.devices.find((d) => d.device === device.id);
    return {
      device,
      branch: snap?.branch ?? '-',
      installed: seen?.installed ?? '?',
      status: seen ? stateLabel(seen.state) : 'not subscribed',
    };
  });
}
