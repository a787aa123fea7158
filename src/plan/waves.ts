/**
 * A stage's waves as the plan shows them: per wave, its devices by what the run decided for their
 * OS and configuration — the worse of the two, as one progression (installed, scheduled now, in
 * flight, failed, waiting for their wave). Pure; read by the
 * plan renderers, the job summary and the monitor.
 */
import { z } from 'zod';
import { laterOf, type DevicePlan } from './model.js';

export const WaveRow = z.object({
  wave: z.number().int(),
  devices: z.number().int(),
  installed: z.number().int(),
  scheduled: z.number().int(),
  in_flight: z.number().int(),
  failed: z.number().int(),
  later: z.number().int(),
  /** Why its devices wait (the first `later` decision's words). */
  why: z.string().optional(),
  /** It starts then (ISO): the wave before soaks until then. */
  opens: z.string().optional(),
  /** The rollout of this release halted at this wave. */
  halted: z.literal(true).optional(),
});
export type WaveRow = z.infer<typeof WaveRow>;

type Column = 'installed' | 'scheduled' | 'in_flight' | 'failed' | 'later';

const COLUMN: Record<DevicePlan['os']['action'], Column | undefined> = {
  none: 'installed',
  deploy: 'scheduled',
  'abort-then-deploy': 'scheduled',
  wait: 'in_flight',
  held: 'failed',
  fail: 'failed',
  later: 'later',
  // Its change waits for its maintenance window: not now either.
  window: 'later',
  // No room under the server's cap this run: a later run schedules it.
  deferred: 'later',
};

const CONFIG_COLUMN: Record<DevicePlan['config']['action'], Column | undefined> = {
  none: 'installed',
  set: 'scheduled',
  wait: 'in_flight',
  fail: 'failed',
  later: 'later',
  window: 'later',
};

/** A device's one progression (src/rollout/progress.ts): the worse column of its OS and its configuration. */
const RANK: Column[] = ['failed', 'in_flight', 'scheduled', 'later', 'installed'];
function columnOf(d: DevicePlan): Column | undefined {
  // A configuration held back by a halt whose own deployment failed is one of the wave's failures.
  const config = d.config.action === 'later' && d.config.failed ? 'failed' : CONFIG_COLUMN[d.config.action];
  const cols = [COLUMN[d.os.action], config].filter((c): c is Column => c !== undefined);
  return cols.sort((a, b) => RANK.indexOf(a) - RANK.indexOf(b))[0];
}

/** One row per wave, first wave first; none when the stage has no rollout policy. */
export function waveRows(devices: readonly DevicePlan[]): WaveRow[] {
  const rows = new Map<number, WaveRow>();
  for (const d of devices) {
    if (d.wave === undefined || d.other_stage) continue;
    let r = rows.get(d.wave);
    if (!r) {
      r = { wave: d.wave, devices: 0, installed: 0, scheduled: 0, in_flight: 0, failed: 0, later: 0 };
      rows.set(d.wave, r);
    }
    r.devices++;
    const col = columnOf(d);
    if (col) r[col]++;
    if (r.why === undefined) r.why = laterOf(d);
    if (d.os.action === 'later' && d.os.opens) r.opens ??= d.os.opens;
  }
  const haltedAt = devices.flatMap((d) => (d.os.action === 'later' && d.os.halted_wave ? [d.os.halted_wave] : []));
  const at = rows.get(haltedAt[0] ?? 0);
  if (at) at.halted = true;
  return [...rows.values()].sort((a, b) => a.wave - b.wave);
}

/**
 * Where a wave stands: done (every device finished), in progress, soaking (finished; the next wave
 * starts at `until`), waiting (its turn has not come), halted (the rollout stopped here), stopped
 * (a wave after the halted one: it does not start for this release).
 */
export type WaveState = 'done' | 'in_progress' | 'soaking' | 'waiting' | 'halted' | 'stopped';
export interface WaveStatus {
  state: WaveState;
  /** Soaking: when the next wave starts (ISO). */
  until?: string;
}

export function waveStatuses(rows: readonly WaveRow[]): WaveStatus[] {
  const halted = rows.find((r) => r.halted)?.wave;
  return rows.map((r, i): WaveStatus => {
    if (halted !== undefined && r.wave >= halted) return { state: r.wave === halted ? 'halted' : 'stopped' };
    const next = rows[i + 1];
    if (next?.opens) return { state: 'soaking', until: next.opens };
    const started = r.installed + r.scheduled + r.in_flight + r.failed > 0;
    if (!started && r.why !== undefined) return { state: 'waiting' };
    return { state: r.installed + r.failed === r.devices ? 'done' : 'in_progress' };
  });
}

/** `wave 2: 90 devices — 0 installed, 90 scheduled, …` and the reason of the first wave that waits. */
export function waveLines(rows: readonly WaveRow[]): string[] {
  const lines = rows.map(
    (r) =>
      `wave ${r.wave}: ${r.devices} devices — ${r.installed} installed, ${r.scheduled} scheduled now, ` +
      `${r.in_flight} in flight, ${r.failed} failed, ${r.later} later`,
  );
  const waiting = rows.find((r) => r.why !== undefined);
  return waiting ? [...lines, `later: ${waiting.why}`] : lines;
}

/** The markdown table of the waves (plan comment, job summary, monitor summary). */
export function waveTable(rows: readonly WaveRow[]): string[] {
  if (!rows.length) return [];
  const out = [
    '| Wave | Devices | Installed | Scheduled now | In flight | Failed | Later |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.wave} | ${r.devices} | ${r.installed} | ${r.scheduled} | ${r.in_flight} | ${r.failed} | ${r.later} |`,
    ),
  ];
  const waiting = rows.find((r) => r.why !== undefined);
  return waiting ? [...out, '', `Later: ${waiting.why!.replace(/\|/g, '\\|')}`] : out;
}
