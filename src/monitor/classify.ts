/**
 * The state of each device as a pure function of what the branch wants and what the OTA server
 * says: no I/O here, so every rule is tested with plain values and the demo can call it too.
 */
import { ExitCode } from '../errors/index.js';
import type { ConfigMap } from '../ota/schemas.js';
import {
  MASKED,
  STATES,
  stateLabel,
  type Counts,
  type DeploymentOfDevice,
  type DesiredDevice,
  type DeviceReport,
  type DeviceState,
  type ObservedDevice,
  type Verdict,
} from './model.js';

export const PENDING = new Set(['pending']);
export const IN_PROGRESS = new Set([
  'downloading',
  'installing',
  'rebooting',
  'pause_before_installing',
  'pause_before_rebooting',
  'pause_before_committing',
]);
export const FAILED = new Set(['failure', 'noartifact']);

export interface ClassifyOptions {
  /** The server's time now (ms). */
  now: number;
  /** No check-in for longer than this (ms) while an update is due → offline. */
  offlineAfterMs: number;
}

/** One dimension's verdict (OS image or configuration). */
interface Part {
  state: DeviceState;
  why: string;
  deployment?: DeploymentOfDevice;
}

const converged = (why: string): Part => ({ state: 'converged', why });
/** States a device leaves on its own once it checks in. */
const WAITING = new Set<DeviceState>(['pending', 'in_progress']);

/** The latest deployment's status decides while the image differs: pending, in progress, failed, else drift. */
function fromDeployment(d: DeploymentOfDevice | undefined, what: string, drift: string): Part {
  if (d && PENDING.has(d.status))
    return { state: 'pending', why: `${what}: scheduled, not started (deployment ${d.id})`, deployment: d };
  if (d && IN_PROGRESS.has(d.status))
    return { state: 'in_progress', why: `${what}: ${d.status.replace(/_/g, ' ')} (deployment ${d.id})`, deployment: d };
  if (d && FAILED.has(d.status))
    return { state: 'failed', why: `${what}: deployment ${d.id} ended in ${d.status}`, deployment: d };
  return { state: 'drift', why: drift };
}

export function classifyOs(want: string, seen: ObservedDevice): Part {
  if (seen.artifact === want) return converged(`runs ${want}`);
  const latest = seen.os[seen.os.length - 1];
  return fromDeployment(
    latest,
    `${want}`,
    `runs ${seen.artifact ?? 'an unknown image'}, the branch wants ${want}, and no deployment of it is scheduled`,
  );
}

/** Desired keys against a map; a masked (secret) desired value must equal what is configured. */
function differing(keys: ConfigMap, map: ConfigMap, configured: ConfigMap): string[] {
  return Object.keys(keys)
    .filter((k) => (keys[k] === MASKED ? map[k] !== configured[k] : map[k] !== keys[k]))
    .sort();
}

export function classifyConfig(want: ConfigMap, seen: NonNullable<ObservedDevice['config']>): Part {
  const dep = seen.deployment;
  const notReported = differing(want, seen.reported, seen.configured);
  const active = dep && (PENDING.has(dep.status) || IN_PROGRESS.has(dep.status));
  if (notReported.length === 0 && !active) return converged('reports the desired configuration');
  const notConfigured = Object.keys(want).filter((k) => want[k] !== MASKED && seen.configured[k] !== want[k]);
  // A configuration deployment counts only when it carries what the branch wants.
  if (notConfigured.length)
    return {
      state: 'drift',
      why: `configuration differs (${notConfigured.sort().join(', ')}) and the desired one is not scheduled`,
    };
  const drift = `reports another configuration (${notReported.join(', ')}) than the one set, and no deployment of it is running`;
  const p = fromDeployment(dep, 'configuration', drift);
  return notReported.length === 0 && p.state === 'drift' ? converged('reports the desired configuration') : p;
}

/**
 * Drift the run left on purpose: the device is outside its maintenance window, its update is
 * planned and waits (pending, not a failure of the commit). A failed deployment stays failed.
 */
const outsideWindow = (p: Part, want: DesiredDevice): Part =>
  p.state === 'drift' && want.window !== undefined ? { state: 'pending', why: want.window } : p;

/** Worst first: a failure outweighs drift, drift outweighs work still running. */
const SEVERITY: DeviceState[] = ['failed', 'drift', 'in_progress', 'pending', 'converged'];
const worst = (parts: Part[]): Part =>
  [...parts].sort((a, b) => SEVERITY.indexOf(a.state) - SEVERITY.indexOf(b.state))[0];

export function classifyDevice(
  want: DesiredDevice,
  seen: ObservedDevice | undefined,
  o: ClassifyOptions,
): DeviceReport {
  const base = {
    host: want.host,
    device: want.device,
    wanted: want.artifact,
    ...(want.wave !== undefined ? { wave: want.wave } : {}),
  };
  if (!seen?.found)
    return {
      ...base,
      state: 'failed',
      why: 'the OTA server does not know this device (not accepted, or a wrong device id in the inventory)',
    };
  const parts: Part[] = [];
  if (want.artifact !== undefined) parts.push(classifyOs(want.artifact, seen));
  if (want.config && seen.config) parts.push(classifyConfig(want.config.keys, seen.config));
  // Waiting for its wave: not converged, and nothing to do about it but wait (or the halt's fix).
  if (want.later !== undefined) parts.push({ state: 'pending', why: want.later });
  const p = parts.length
    ? outsideWindow(worst(parts), want)
    : want.planFailed !== undefined
      ? { state: 'failed' as const, why: `the run could not plan this device: ${want.planFailed.split('\n')[0]}` }
      : converged('nothing managed for this device');
  const report: DeviceReport = {
    ...base,
    state: p.state,
    why: p.state === 'converged' ? parts.map((x) => x.why).join('; ') || p.why : p.why,
    ...(seen.artifact ? { installed: seen.artifact } : {}),
    ...(seen.checkIn ? { checkIn: seen.checkIn } : {}),
    ...(p.deployment ? { deployment: p.deployment.id } : {}),
    ...(p.deployment?.logTail?.length ? { logTail: p.deployment.logTail } : {}),
  };
  return silent(report, o) ?? report;
}

/**
 * A device whose update is scheduled (pending or in progress) and that has not checked in for too
 * long is offline: it may still converge when it comes back. Drift stays drift (nothing scheduled
 * reaches it even then), with the silence added to the why.
 */
function silent(r: DeviceReport, o: ClassifyOptions): DeviceReport | undefined {
  if (!WAITING.has(r.state) && r.state !== 'drift') return undefined;
  const quiet = r.checkIn ? o.now - Date.parse(r.checkIn) : NaN;
  if (!(quiet > o.offlineAfterMs)) return undefined;
  const since = `no check-in for ${humanDuration(quiet)} (since ${r.checkIn})`;
  if (r.state === 'drift') return { ...r, why: `${r.why}; ${since}` };
  return { ...r, state: 'offline', why: `${since}; was: ${r.why}` };
}

export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function classifyAll(
  wants: DesiredDevice[],
  seen: Map<string, ObservedDevice>,
  o: ClassifyOptions,
): DeviceReport[] {
  return wants.map((w) => classifyDevice(w, seen.get(w.device), o));
}

export function countStates(reports: DeviceReport[], notSubscribed: number): Counts {
  const c = Object.fromEntries([...STATES.map((s) => [s, 0]), ['not_subscribed', notSubscribed]]) as Counts;
  for (const r of reports) c[r.state]++;
  return c;
}

/** `--max-failed`: a number of devices or a percentage of the subscribed ones. */
export type MaxFailed = { kind: 'count'; n: number } | { kind: 'percent'; pct: number };

export function allowedFailures(m: MaxFailed, subscribed: number): number {
  return m.kind === 'count' ? m.n : Math.floor((m.pct / 100) * subscribed);
}

/**
 * Failed and drifted devices will not converge on their own: beyond --max-failed they make the stage
 * fail. Offline devices whose update is still due may converge when they come back, so they never
 * make it fail, but they are not converged either: unless --max-failed tolerates them (together
 * with the failed and drifted ones) the stage stays pending (exit 3), and a promotion gate waits.
 * --wait stops once nothing is pending or in progress: an offline device has been silent for
 * longer than --offline-after, the next scheduled monitor looks again.
 */
export function verdict(c: Counts, maxFailed: MaxFailed): Verdict {
  const subscribed = STATES.reduce((n, s) => n + c[s], 0);
  const bad = c.failed + c.drift;
  const allowed = allowedFailures(maxFailed, subscribed);
  const running = c.pending + c.in_progress;
  const offline = c.offline ? `, ${c.offline} offline` : '';
  if (bad > allowed) {
    return {
      exitCode: ExitCode.hostFailed,
      commitState: 'failure',
      settled: true,
      summary: `${bad} of ${subscribed} devices failed or drifted (at most ${allowed} allowed)`,
    };
  }
  if (running > 0)
    return {
      exitCode: ExitCode.inProgress,
      commitState: 'pending',
      settled: false,
      summary: `${running} of ${subscribed} devices still updating${offline}`,
    };
  if (bad + c.offline > allowed) {
    const others = bad ? ` and ${bad} failed or drifted` : '';
    return {
      exitCode: ExitCode.inProgress,
      commitState: 'pending',
      settled: true,
      summary: `${c.offline} of ${subscribed} devices offline before converging${others} (at most ${allowed} may not converge)`,
    };
  }
  const within = [offline.slice(2), bad ? `${bad} failed or drifted` : ''].filter(Boolean).join(', ');
  return {
    exitCode: ExitCode.ok,
    commitState: 'success',
    settled: true,
    summary: `${c.converged} of ${subscribed} devices converged${within ? ` (${within}, within --max-failed)` : ''}`,
  };
}

/** Counts as the commit status and the progress line say them: "5 converged, 1 failed". */
export function countWords(c: Counts): Record<string, number> {
  return Object.fromEntries([...STATES, 'not_subscribed' as const].map((s) => [stateLabel(s), c[s]]));
}
