/**
 * A stage's waves as the plan shows them: per wave, its devices by what the run decided for their
 * OS (installed, scheduled now, in flight, failed, waiting for their wave). Pure; read by the
 * plan renderers, the job summary and the monitor.
 */
import { z } from 'zod';
import type { DevicePlan } from './model.js';

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
    const col = COLUMN[d.os.action];
    if (col) r[col]++;
    if (d.os.action === 'later' && r.why === undefined) r.why = d.os.why;
  }
  return [...rows.values()].sort((a, b) => a.wave - b.wave);
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
