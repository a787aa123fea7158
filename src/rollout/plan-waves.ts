/**
 * The wave decision applied to mender_os_update's per-device decisions: a device of a wave that
 * has not started gets `later` instead of its deployment; after a halt nothing is deployed, and
 * with `on_halt: abort` the halted wave's deployments still in flight are aborted. Pure.
 */
import type { InFlight } from '../modules/mender/facts.js';
import type { OsDecision } from '../modules/mender/os-plan.js';
import { decideRollout, laterWhy, type DeviceProgress, type RolloutState } from './decide.js';
import type { DeviceRecord } from './facts.js';
import { assignWaves, type Member } from './membership.js';
import type { RolloutPolicy } from './policy.js';
import { combine } from './progress.js';

export interface WaveInput {
  decisions: readonly OsDecision[];
  members: readonly Member[];
  policy: RolloutPolicy;
  /** Device → its latest deployment of the image it should run. */
  records: ReadonlyMap<string, DeviceRecord>;
  /** Device → its deployments in flight (the one a halted wave aborts is among them). */
  inFlight: ReadonlyMap<string, readonly InFlight[]>;
  /** The OTA server's clock (ms). */
  now: number;
  /** Device → its progress against the configuration the commit wants, when the run knows it (one progression per device). */
  config?: ReadonlyMap<string, DeviceProgress>;
}

/** A device's place in the rollout: its wave, and why it waits (unset: it may be scheduled now). */
export interface WaveVerdict {
  wave: number;
  why?: string;
  halted?: true;
}

/**
 * The stage's waves against each device's progress and the server's clock: the rollout state and
 * each member's verdict. The OS and the configuration module both decide by it.
 */
export function waveVerdicts(
  members: readonly Member[],
  policy: RolloutPolicy,
  progress: ReadonlyMap<string, DeviceProgress>,
  now: number,
): { state: RolloutState; verdicts: Map<string, WaveVerdict> } {
  const waves = assignWaves(members, policy);
  const state = decideRollout(waves, progress, policy, now);
  const verdicts = new Map<string, WaveVerdict>();
  for (const [i, devices] of waves.entries()) {
    const why = laterWhy(state, i + 1);
    const v: WaveVerdict = why === undefined ? { wave: i + 1 } : { wave: i + 1, why };
    if (state.halted) v.halted = true;
    for (const d of devices) verdicts.set(d, v);
  }
  return { state, verdicts };
}

const SUCCEEDED = new Set(['success', 'already-installed']);
const FAILED = new Set(['failure', 'noartifact']);

/**
 * Where a device stands against the image it should run, from its decision and latest deployment
 * of that image. A device that failed inside a deployment still running (others of it pending)
 * is decided `wait` by the planner, but it failed: its deployment's own status says so.
 */
export function progressOf(d: OsDecision, r: DeviceRecord | undefined): DeviceProgress {
  const mine = r && r.artifact === d.to ? r : undefined;
  const ended = (state: 'done' | 'failed'): DeviceProgress =>
    mine?.finished !== undefined ? { state, finished: mine.finished } : { state };
  switch (d.action) {
    case 'none':
    case 'abort':
      return mine && SUCCEEDED.has(mine.status) ? ended('done') : { state: 'done' };
    case 'wait':
      if (mine && FAILED.has(mine.status)) return ended('failed');
      return mine && SUCCEEDED.has(mine.status) ? ended('done') : { state: 'active' };
    case 'held': {
      const at = d.failedAt ? Date.parse(d.failedAt) : NaN;
      return Number.isFinite(at) ? { state: 'failed', finished: at } : { state: 'failed' };
    }
    case 'fail':
      return { state: 'skip' };
    default:
      return { state: 'todo' };
  }
}

export function planWaves(i: WaveInput): {
  decisions: OsDecision[];
  state: RolloutState;
  verdicts: Map<string, WaveVerdict>;
} {
  const progress = new Map(
    i.decisions.map((d) => [d.device, combine(progressOf(d, i.records.get(d.device)), i.config?.get(d.device))]),
  );
  const { state, verdicts } = waveVerdicts(i.members, i.policy, progress, i.now);
  const decisions = i.decisions.map((d) => {
    const wave = verdicts.get(d.device)?.wave;
    return wave === undefined ? d : waved(Object.assign({}, d, { wave }), wave, state, i);
  });
  return { decisions, state, verdicts };
}

function waved(d: OsDecision, wave: number, s: RolloutState, i: WaveInput): OsDecision {
  const why = laterWhy(s, wave);
  const base = { host: d.host, device: d.device, from: d.from, to: d.to, wave };
  const halt = s.halted ? { halted: true, haltedWave: s.halted.wave } : {};
  if (s.halted && d.action === 'wait' && wave === s.halted.wave && i.policy.on_halt === 'abort') {
    const mine = (i.inFlight.get(d.device) ?? []).filter((f) => f.id === d.deployment);
    return { ...base, action: 'later', ...halt, abort: mine, why: `${s.halted.why}; aborting its deployment` };
  }
  if (why === undefined || (d.action !== 'deploy' && d.action !== 'later')) return d;
  return { ...base, action: 'later', abort: [], why, ...halt, ...opensOf(s, wave) };
}

/** The next wave opens by the clock (the soak before it ends): when, for the monitor to count down. */
const opensOf = (s: RolloutState, wave: number): { opens?: string } =>
  !s.halted && s.next_at !== undefined && wave === s.open + 1 ? { opens: new Date(s.next_at).toISOString() } : {};
