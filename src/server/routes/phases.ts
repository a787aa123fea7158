/**
 * Phased deployments as Mender Enterprise takes them (`phases` of the create body): each phase a
 * percentage of the devices (`batch_size`) and a start time (`start_ts`). Checked here and turned
 * into the journal's resolved form; the simulator offers a device the deployment only once its
 * phase has started (src/server/state.ts).
 */
import { z } from 'zod';
import type { Deployment, DeviceDeployment } from '../model.js';
import { iso } from '../http.js';
import { phaseSizes } from '../state.js';

export const NewPhase = z.strictObject({
  batch_size: z.number().int().min(1).max(100).optional(),
  start_ts: z.iso.datetime({ offset: true }).optional(),
});
export type NewPhase = z.infer<typeof NewPhase>;

export type ResolvedPhase = { id: string; batch_size: number; start?: number };

/**
 * The phases resolved, or why they are refused: every phase but the last has a batch_size, the
 * last takes the rest; every phase but the first has a start_ts, each later than the one before;
 * the batch sizes add up to at most 100 and no phase ends up empty.
 */
export function resolvePhases(
  phases: NewPhase[],
  devices: number,
  now: number,
  newId: () => string,
): { ok: true; value: ResolvedPhase[] } | { ok: false; error: string } {
  const bad = (why: string) => ({ ok: false as const, error: `Invalid deployments definition: ${why}` });
  const out: ResolvedPhase[] = [];
  let share = 0;
  let previous = -Infinity;
  for (const [k, p] of phases.entries()) {
    const last = k === phases.length - 1;
    if (p.batch_size === undefined && !last) return bad(`phases[${k}]: batch_size is required but for the last phase`);
    if (p.start_ts === undefined && k > 0) return bad(`phases[${k}]: start_ts is required but for the first phase`);
    const start = p.start_ts === undefined ? undefined : Date.parse(p.start_ts);
    if (start !== undefined && start <= previous)
      return bad(`phases[${k}]: start_ts must be later than the phase before`);
    previous = start ?? now;
    share += p.batch_size ?? 0;
    if (share > 100) return bad('the batch sizes of the phases add up to more than 100');
    const size = last ? 100 - (share - (p.batch_size ?? 0)) : p.batch_size!;
    out.push({ id: newId(), batch_size: size, start });
  }
  const empty = phaseSizes(
    devices,
    out.map((p) => ({ batchSize: p.batch_size })),
  ).findIndex((n) => n === 0);
  if (empty >= 0) return bad(`phases[${empty}] would hold no device of ${devices}`);
  return { ok: true, value: out };
}

/** DeploymentV2's `phases`: each with the devices that asked for the update within it so far. */
export function phaseViews(dep: Deployment) {
  if (!dep.phases) return undefined;
  const asked = (dd: DeviceDeployment) => dd.status !== 'pending' || dd.attempts > 1;
  return dep.phases.map((p) => {
    let count = 0;
    for (const dd of dep.devices.values()) if (dd.notBefore === p.start && asked(dd)) count++;
    return {
      id: p.id,
      batch_size: p.batchSize,
      ...(p.start === undefined ? {} : { start_ts: iso(p.start) }),
      device_count: count,
    };
  });
}
