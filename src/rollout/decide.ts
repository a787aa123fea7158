/**
 * Which wave a run may schedule, as a pure function of the OTA server's facts about this commit's
 * images (each device's latest deployment of the image it should run: status and finish time) and
 * the server's clock. Nothing is remembered between runs: an hourly run, a rerun and a run after a
 * crash see the same facts and decide the same.
 *
 * Wave k is complete when every device of it finished; wave k+1 opens once wave k has stayed
 * healthy for `soak` after its last finish. A wave with more failures than `max_failed` halts the
 * rollout of this commit: no further device is scheduled, whatever the wave.
 */
import { amountText, type Amount, type RolloutPolicy } from './policy.js';

/**
 * A device against the image it should run: installed (or its deployment succeeded), failed,
 * deployment in flight, nothing yet, or out of the rollout (no image fits it: the run fails it).
 */
export type Progress = 'done' | 'failed' | 'active' | 'todo' | 'skip';

export interface DeviceProgress {
  state: Progress;
  /** When its deployment of the image ended (ms), if it did. */
  finished?: number;
}

export interface WaveProgress {
  wave: number;
  devices: number;
  done: number;
  failed: number;
  active: number;
  todo: number;
  /** Failures the wave may have (`max_failed` of its size). */
  allowed: number;
  /** The last finish of a device in it (ms). */
  last_finish?: number;
}

export interface RolloutState {
  /** Devices of waves up to this one (1 = the first) may be scheduled; 0 when halted. */
  open: number;
  waves: WaveProgress[];
  halted?: { wave: number; why: string };
  /** Why the devices after wave `open` wait (unset when every wave is open). */
  waiting?: string;
  /** When the next wave opens by the clock (ms): the end of a soak. */
  next_at?: number;
}

export type Policy = Pick<RolloutPolicy, 'max_failed' | 'soak_ms' | 'soak'>;

/** Failures a wave of `n` devices may have. */
export function allowedFailures(max: Amount, n: number): number {
  return 'count' in max ? max.count : Math.floor((max.share * n) / 100 + 1e-9);
}

function progressOf(
  wave: number,
  devices: readonly string[],
  facts: ReadonlyMap<string, DeviceProgress>,
  max: Amount,
): WaveProgress {
  const p: WaveProgress = { wave, devices: 0, done: 0, failed: 0, active: 0, todo: 0, allowed: 0 };
  for (const d of devices) {
    const f = facts.get(d) ?? { state: 'todo' };
    if (f.state === 'skip') continue;
    p.devices++;
    p[f.state]++;
    if (f.finished !== undefined && (f.state === 'done' || f.state === 'failed'))
      p.last_finish = Math.max(p.last_finish ?? f.finished, f.finished);
  }
  p.allowed = allowedFailures(max, p.devices);
  return p;
}

export function decideRollout(
  waves: readonly (readonly string[])[],
  facts: ReadonlyMap<string, DeviceProgress>,
  policy: Policy,
  now: number,
): RolloutState {
  const progress = waves.map((w, i) => progressOf(i + 1, w, facts, policy.max_failed));
  for (const p of progress) {
    if (p.failed > p.allowed) return { open: 0, waves: progress, halted: { wave: p.wave, why: haltWhy(p, policy) } };
    if (p.wave === progress.length) break;
    const next = p.wave + 1;
    if (p.todo + p.active > 0)
      return {
        open: p.wave,
        waves: progress,
        waiting: `wave ${next} starts after wave ${p.wave} has finished and been healthy for ${policy.soak} (${p.todo + p.active} of ${p.devices} devices not finished)`,
      };
    const opens = p.last_finish === undefined ? now : p.last_finish + policy.soak_ms;
    if (opens > now)
      return {
        open: p.wave,
        waves: progress,
        next_at: opens,
        waiting: `wave ${next} starts after wave ${p.wave} has been healthy for ${policy.soak}; ${timeLeft(opens - now)} to go`,
      };
  }
  return { open: progress.length, waves: progress };
}

/** "halted at wave 2: 3 of 40 failed (at most 2%)" */
function haltWhy(p: WaveProgress, policy: Policy): string {
  return `halted at wave ${p.wave}: ${p.failed} of ${p.devices} failed (at most ${amountText(policy.max_failed)})`;
}

/** Why a device of `wave` is not scheduled now (undefined: it may be). */
export function laterWhy(s: RolloutState, wave: number): string | undefined {
  if (s.halted) return s.halted.why;
  if (wave <= s.open || !s.waiting) return undefined;
  return wave === s.open + 1 ? s.waiting : `in wave ${wave}; ${s.waiting}`;
}

/** "37 min", "2 h 5 min", "less than a minute". */
export function timeLeft(ms: number): string {
  const min = Math.ceil(ms / 60_000);
  if (ms < 60_000) return 'less than a minute';
  if (min < 60) return `${min} min`;
  return min % 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min / 60} h`;
}
