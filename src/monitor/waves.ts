/**
 * A stage's waves while the monitor waits. The desired state is computed once (a dry run, or the
 * run's report); the waves are decided again at every look from the OTA server's facts — each
 * device's latest deployment of its image, the server's clock — by the update run's own decision
 * (src/rollout/decide.ts), without running the playbook again. So a wave that fails during the
 * wait halts the rollout at that look, and a wave whose soak ends is seen ending: the watcher
 * hands such waves to `onOpened` (the monitor starts the update workflow), once each.
 */
import { ok, type Result } from '../errors/index.js';
import { FAILURE_WINDOW_MS } from '../modules/mender/os-module.js';
import type { MenderClient } from '../ota/client.js';
import type { WaveRow } from '../plan/waves.js';
import {
  combine,
  decideRollout,
  laterWhy,
  latestDeployments,
  type DeviceProgress,
  type DeviceRecord,
  type FinishedLists,
  type RolloutPolicy,
  type RolloutState,
} from '../rollout/index.js';
import { FAILED, IN_PROGRESS, PENDING } from './classify.js';
import { MASKED, type Desired, type DesiredDevice, type ObservedDevice } from './model.js';
import type { Observation } from './observe.js';

const SUCCEEDED = new Set(['success', 'already-installed']);

/** Waves whose devices may now be scheduled; true when that was dealt with (not to be handed again). */
export type OnOpened = (waves: number[]) => Promise<boolean>;

export interface WaveWatch {
  /** The desired state with the waves as the facts decide them now. */
  look(seen: Observation): Promise<Result<Desired>>;
}

/** A device against the image it should run, as the update run judges it (rollout/plan-waves.ts). */
export function progressOf(want: DesiredDevice, installed: string | undefined, r?: DeviceRecord): DeviceProgress {
  const wanted = want.artifact ?? want.laterArtifact;
  if (wanted === undefined) return { state: 'skip' };
  const mine = r?.artifact === wanted ? r : undefined;
  const at = mine?.finished === undefined ? {} : { finished: mine.finished };
  if (mine && SUCCEEDED.has(mine.status)) return { state: 'done', ...at };
  if (mine && FAILED.has(mine.status)) return { state: 'failed', ...at };
  if (installed === wanted) return { state: 'done' };
  if (mine && (PENDING.has(mine.status) || IN_PROGRESS.has(mine.status))) return { state: 'active' };
  return { state: 'todo' };
}

/**
 * A device against the configuration the branch wants, from what the monitor observed: its latest
 * configuration deployment failed there (and it reports another one), in flight, or the wanted keys
 * reported (those of a configuration waiting for its wave too: its wave may have got them since
 * the plan). Undefined: the branch does not manage its configuration.
 */
export function configSide(want: DesiredDevice, seen: ObservedDevice['config']): DeviceProgress | undefined {
  if ((!want.config && !want.configLater) || !seen) return undefined;
  const status = seen.deployment?.status;
  if (status !== undefined && FAILED.has(status) && !sameMap(seen.reported, seen.configured))
    return { state: 'failed' };
  if (status !== undefined && (PENDING.has(status) || IN_PROGRESS.has(status))) return { state: 'active' };
  const keys = want.config?.keys ?? want.laterConfig;
  if (!keys) return { state: 'todo' };
  const reported = Object.keys(keys).every((k) =>
    keys[k] === MASKED ? seen.reported[k] === seen.configured[k] : seen.reported[k] === keys[k],
  );
  return { state: reported ? 'done' : 'todo' };
}

const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

export function waveWatch(client: MenderClient, policy: RolloutPolicy, base: Desired, onOpened: OnOpened): WaveWatch {
  const members = base.devices.filter((d) => d.wave !== undefined);
  const waves = policy.waves.map((_, i) => members.filter((d) => d.wave === i + 1).map((d) => d.device));
  const artifacts = [...new Set(members.flatMap((d) => d.artifact ?? d.laterArtifact ?? []))];
  const finished: FinishedLists = new Map();
  // Waves whose devices wait for a soak (not for a halt's fix): the ones whose start is news.
  const waiting = new Set(base.halted ? [] : members.flatMap((d) => (d.later !== undefined ? [d.wave!] : [])));
  const handed = new Set<number>();
  return {
    async look(seen) {
      const records = await latestDeployments(client, artifacts, new Date(seen.now - FAILURE_WINDOW_MS), finished);
      if (!records.ok) return records;
      // One progression per device, as the update run counts it: its image and its configuration.
      const progress = new Map(
        members.map((d) => {
          const dev = seen.devices.get(d.device);
          return [
            d.device,
            combine(progressOf(d, dev?.artifact, records.value.get(d.device)), configSide(d, dev?.config)),
          ];
        }),
      );
      const state = decideRollout(waves, progress, policy, seen.now);
      const opened = state.halted ? [] : [...waiting].filter((w) => w <= state.open && !handed.has(w)).sort();
      if (opened.length && (await onOpened(opened))) for (const w of opened) handed.add(w);
      if (!state.halted) for (let w = state.open + 1; w <= waves.length; w++) waiting.add(w);
      return ok(rederived(base, state, progress));
    },
  };
}

/** `base` with each wave device's `later` (or its image) as `state` decides, and the wave rows. */
function rederived(base: Desired, state: RolloutState, progress: ReadonlyMap<string, DeviceProgress>): Desired {
  const devices = base.devices.map((d) => waved(d, state, progress.get(d.device)));
  const { halted: _h, ...rest } = base;
  return {
    ...rest,
    devices,
    waves: rows(state),
    ...(state.halted ? { halted: state.halted.why } : {}),
  };
}

function waved(d: DesiredDevice, state: RolloutState, p: DeviceProgress | undefined): DesiredDevice {
  // Outside its window the plan's word stands: the window, not the wave, holds it back.
  if (d.wave === undefined || d.window !== undefined) return d;
  const wanted = d.artifact ?? d.laterArtifact;
  const { later: _l, laterArtifact: _a, artifact: _x, ...rest } = d;
  if (p?.state === 'todo' && wanted !== undefined) {
    const why = laterWhy(state, d.wave);
    if (why !== undefined) return { ...rest, later: why, laterArtifact: wanted };
    // Its wave has started and no run has scheduled it yet: due, not drifted.
    if (d.wave > 1)
      return { ...rest, later: `wave ${d.wave} has started; the next update run schedules it`, laterArtifact: wanted };
  }
  // No longer waiting: its configuration is checked as any other (the keys it got with its wave).
  const { configLater: _c, laterConfig, ...settled } = rest;
  const config = laterConfig ? { config: { keys: laterConfig } } : {};
  return wanted === undefined ? { ...settled, ...config } : { ...settled, ...config, artifact: wanted };
}

/** The wave rows as the monitor sees them now; a device still to be scheduled in an open wave is "scheduled". */
function rows(state: RolloutState): WaveRow[] {
  return state.waves.map((w) => {
    const open = !state.halted && w.wave <= state.open;
    const why = open ? undefined : laterWhy(state, w.wave);
    return {
      wave: w.wave,
      devices: w.devices,
      installed: w.done,
      scheduled: open ? w.todo : 0,
      in_flight: w.active,
      failed: w.failed,
      later: open ? 0 : w.todo,
      ...(why !== undefined && w.todo > 0 ? { why } : {}),
      // For the report's wave states: when a soak ends and this wave starts, and where a rollout halted.
      ...(w.wave === state.open + 1 && state.next_at !== undefined
        ? { opens: new Date(state.next_at).toISOString() }
        : {}),
      ...(state.halted?.wave === w.wave ? { halted: true as const } : {}),
    };
  });
}
