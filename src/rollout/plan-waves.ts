/**
 * The wave decision applied to mender_os_update's per-device decisions: a device of a wave that
 * has not started gets `later` instead of its deployment; after a halt nothing is deployed, and
 * with `on_halt: abort` the halted wave's deployments still in flight are aborted. Pure.
 */
import { z } from 'zod';
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

/**
 * A device's place in the rollout: its wave, why it waits (unset: it may be scheduled now), and
 * whether the rollout halted in its wave with `on_halt: abort` (its deployment in flight goes).
 * A module argument too (`stage_wave`): a run limited by --limit gets each device's verdict from
 * a plan of the whole stage (src/stage/limited.ts), so its membership is the stage's.
 */
export const WaveVerdict = z.object({
  wave: z.number().int().min(1),
  why: z.string().optional(),
  halted: z.literal(true).optional(),
  /** After a halt: the wave that halted. */
  halted_wave: z.number().int().optional(),
  /** The wave after the open ones: when the soak before it ends (ISO). */
  opens: z.string().optional(),
  abort: z.literal(true).optional(),
});
export type WaveVerdict = z.infer<typeof WaveVerdict>;

/** `stage_wave` as the playbook passes it: `{}` for a host the whole stage's plan gave no wave. */
export const StageWaveArg = z.union([WaveVerdict, z.strictObject({})]);
export type StageWaveArg = z.infer<typeof StageWaveArg>;

export const placed = (v: StageWaveArg): v is WaveVerdict => typeof (v as { wave?: unknown }).wave === 'number';

/** Why a limited run schedules nothing for a host the whole stage's plan did not place in a wave. */
export const NO_STAGE_WAVE =
  "the stage's plan without --limit gave this device no wave (it failed or follows another stage there): nothing is scheduled for it";

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
    const v = verdictOf(state, i + 1, policy);
    for (const d of devices) verdicts.set(d, v);
  }
  return { state, verdicts };
}

function verdictOf(s: RolloutState, wave: number, policy: RolloutPolicy): WaveVerdict {
  const why = laterWhy(s, wave);
  const v: WaveVerdict = why === undefined ? { wave } : { wave, why };
  if (s.halted) Object.assign(v, { halted: true, halted_wave: s.halted.wave });
  Object.assign(v, opensOf(s, wave));
  if (s.halted?.wave === wave && policy.on_halt === 'abort') v.abort = true;
  return v;
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
  return { decisions: byVerdicts(i.decisions, verdicts, i.inFlight), state, verdicts };
}

/** Each decision under its device's verdict (a device without one is not in the rollout: as decided). */
export function byVerdicts(
  decisions: readonly OsDecision[],
  verdicts: ReadonlyMap<string, StageWaveArg>,
  inFlight: ReadonlyMap<string, readonly InFlight[]>,
): OsDecision[] {
  return decisions.map((d) => {
    const v = verdicts.get(d.device);
    if (!v) return d;
    if (!placed(v)) return unplaced(d);
    return waved(Object.assign({}, d, { wave: v.wave }), v, inFlight);
  });
}

function waved(d: OsDecision, v: WaveVerdict, inFlight: ReadonlyMap<string, readonly InFlight[]>): OsDecision {
  const base = { host: d.host, device: d.device, from: d.from, to: d.to, wave: v.wave };
  if (v.abort && d.action === 'wait') {
    const mine = (inFlight.get(d.device) ?? []).filter((f) => f.id === d.deployment);
    return { ...base, action: 'later', ...haltOf(v), abort: mine, why: `${v.why}; aborting its deployment` };
  }
  if (v.why === undefined || (d.action !== 'deploy' && d.action !== 'later')) return d;
  return { ...base, action: 'later', abort: [], why: v.why, ...haltOf(v), ...(v.opens ? { opens: v.opens } : {}) };
}

/** A limited run's host the whole stage's plan did not place: nothing written for it. */
function unplaced(d: OsDecision): OsDecision {
  if (d.action !== 'deploy') return d;
  return {
    host: d.host,
    device: d.device,
    from: d.from,
    to: d.to,
    wave: 0,
    action: 'later',
    abort: [],
    why: NO_STAGE_WAVE,
  };
}

/** The next wave opens by the clock (the soak before it ends): when, for the monitor to count down. */
const opensOf = (s: RolloutState, wave: number): { opens?: string } =>
  !s.halted && s.next_at !== undefined && wave === s.open + 1 ? { opens: new Date(s.next_at).toISOString() } : {};

const haltOf = (v: WaveVerdict): { halted?: boolean; haltedWave?: number } =>
  v.halted ? { halted: true, ...(v.halted_wave !== undefined ? { haltedWave: v.halted_wave } : {}) } : {};
