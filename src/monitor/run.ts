/**
 * One look at the fleet (`snapshot`) and the loop that keeps looking until nothing can change on
 * its own or the time is up (`follow`). I/O is passed in, so tests drive the embedded server's
 * manual clock through `sleep`.
 */
import { ExitCode, ok, type Result } from '../errors/index.js';
import type { MenderClient } from '../ota/client.js';
import { classifyAll, countStates, verdict, type MaxFailed } from './classify.js';
import type { Desired, Snapshot, Verdict } from './model.js';
import { observe } from './observe.js';
import type { WaveWatch } from './waves.js';

export interface SnapshotOptions {
  branch: string;
  commit: string | null;
  offlineAfterMs: number;
  maxFailed: MaxFailed;
  /** Deployment logs fetched per snapshot at most (no bulk read exists). */
  maxLogs?: number;
}

/**
 * The state of every subscribed device now; a pure classification of one bulk observation. In
 * waves, `waves` decides them again from that observation first (a halt, a wave that started).
 */
export async function snapshot(
  client: MenderClient,
  planned: Desired,
  o: SnapshotOptions,
  waves?: WaveWatch,
): Promise<Result<Snapshot>> {
  const before = client.stats.snapshot();
  const seen = await observe(client, planned.devices, { maxLogs: o.maxLogs });
  if (!seen.ok) return seen;
  const now = waves ? await waves.look(seen.value) : ok(planned);
  if (!now.ok) return now;
  const desired = now.value;
  const devices = classifyAll(desired.devices, seen.value.devices, {
    now: seen.value.now,
    offlineAfterMs: o.offlineAfterMs,
  });
  const counts = countStates(devices, desired.notSubscribed.length);
  const after = client.stats.snapshot();
  const byEndpoint: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.byEndpoint))
    if (v - (before.byEndpoint[k] ?? 0) > 0) byEndpoint[k] = v - (before.byEndpoint[k] ?? 0);
  return ok({
    schema: 'fleetplay.monitor/1',
    branch: o.branch,
    commit: o.commit,
    takenAt: new Date(seen.value.now).toISOString(),
    source: desired.source,
    counts,
    verdict: desired.halted ? haltVerdict(desired.halted) : verdict(counts, o.maxFailed),
    devices,
    api: { requests: after.requests - before.requests, byEndpoint },
    ...(desired.waves
      ? { rollout: { waves: desired.waves, ...(desired.halted ? { halted: desired.halted } : {}) } }
      : {}),
  });
}

/** The rollout of this release halted: the stage failed, whatever the devices' own counts say. */
const haltVerdict = (why: string): Verdict => ({
  exitCode: ExitCode.hostFailed,
  commitState: 'failure',
  settled: true,
  summary: why,
});

export interface FollowOptions extends SnapshotOptions {
  wait: boolean;
  timeoutMs: number;
  intervalMs: number;
}

export interface FollowHooks {
  /** Waits between looks; tests advance the server's clock here. */
  sleep?: (ms: number) => Promise<void>;
  /** Wall time in ms (for the timeout). */
  now?: () => number;
  /** Every snapshot, as it is taken (progress, commit status). */
  onSnapshot?: (s: Snapshot, elapsedMs: number) => Promise<void> | void;
  /** The stage rolls out in waves: decides them again at every look. */
  waves?: WaveWatch;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Looks until settled (nothing pending or in progress, or failures beyond --max-failed), or the
 * timeout; without --wait, looks once. The last snapshot carries the verdict.
 */
export async function follow(
  client: MenderClient,
  desired: Desired,
  o: FollowOptions,
  hooks: FollowHooks = {},
): Promise<Result<Snapshot>> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? realSleep;
  const started = now();
  for (;;) {
    const s = await snapshot(client, desired, o, hooks.waves);
    if (!s.ok) return s;
    const elapsed = now() - started;
    await hooks.onSnapshot?.(s.value, elapsed);
    if (!o.wait || s.value.verdict.settled) return s;
    const left = o.timeoutMs - elapsed;
    if (left <= 0) return s;
    await sleep(Math.min(o.intervalMs, left));
  }
}
