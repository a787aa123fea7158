/**
 * The simulated Mender clients: decides each device's next deployment step (a pure function
 * of state) and emits it as a journal event, in time order, up to the clock's `now`.
 */
import { createHash } from 'node:crypto';
import type { DDStatus, Device, DeviceDeployment, JournalEvent } from './model.js';
import type { FleetState } from './state.js';

/** Deterministic in [0, 1): the same parts always draw the same number. */
export function draw(...parts: string[]): number {
  return createHash('sha1').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;
}

export function plannedFailure(state: FleetState, d: Device, dd: DeviceDeployment): boolean {
  const f = state.spec.failures;
  const dep = dd.deployment;
  // Drawn from name, artifact and device (not the random deployment id): runs are reproducible.
  // A retry draws again (the first attempt draws as before retries existed).
  const parts =
    dd.attempts > 1 ? [dep.name, dep.artifactName, d.id, String(dd.attempts)] : [dep.name, dep.artifactName, d.id];
  return d.fail || f.artifacts.includes(dep.artifactName) || (f.rate > 0 && draw(...parts) < f.rate);
}

/** A configuration deployment holding one of the spec's bad configurations (every key = value of it). */
export function badConfiguration(state: FleetState, dd: DeviceDeployment): boolean {
  const bad = state.spec.failures.configurations;
  if (!bad.length || !dd.deployment.configuration) return false;
  const deployed = JSON.parse(dd.deployment.configuration) as Record<string, string>;
  return bad.some((b) => Object.entries(b).every(([k, v]) => deployed[k] === v));
}

/** What a Mender client would report next for its active deployment. */
export function nextStep(state: FleetState, d: Device, dd: DeviceDeployment): DDStatus | undefined {
  const dep = dd.deployment;
  const software = dep.type === 'software';
  switch (dd.status) {
    case 'pending':
      if (!software) return 'downloading';
      if (d.inventory.artifact_name === dep.artifactName && !dep.force) return 'already-installed';
      return state.artifactFor(dep.artifactName, dd.deviceType) ? 'downloading' : 'noartifact';
    case 'downloading':
      return 'installing';
    case 'installing':
      if (!software) return badConfiguration(state, dd) ? 'failure' : 'success';
      return 'rebooting';
    case 'rebooting':
      return plannedFailure(state, d, dd) ? 'failure' : 'success';
    default:
      return undefined;
  }
}

/**
 * Runs every step due at or before `until`, earliest first; steps that schedule further steps
 * inside the window run too, so one clock advance walks a deployment to its end.
 */
export function simulate(state: FleetState, until: number, emit: (e: JournalEvent) => void): number {
  let steps = 0;
  for (;;) {
    const due = [...state.active].filter((dd) => dd.nextAt !== undefined && dd.nextAt <= until);
    if (due.length === 0) return steps;
    due.sort((a, b) => a.nextAt! - b.nextAt!);
    for (const dd of due) {
      const d = state.devices.get(dd.deviceId);
      const at = dd.nextAt;
      if (!d || at === undefined || !state.active.has(dd)) continue;
      const status = nextStep(state, d, dd);
      if (!status) {
        state.active.delete(dd);
        continue;
      }
      emit({ t: 'dd', dep: dd.deployment.id, dev: d.id, status, ts: at });
      steps++;
    }
  }
}

/** Last time the device polled the server: every poll_interval while online, frozen while offline. */
const phases = new WeakMap<Device, number>();

export function checkInTime(state: FleetState, d: Device, now: number): number {
  const interval = state.spec.timing.poll_interval * 1000;
  let share = phases.get(d);
  if (share === undefined) phases.set(d, (share = draw('check-in', d.id)));
  const phase = Math.floor(share * interval);
  const t = d.offlineAt ?? now;
  const last = t - ((((t - phase) % interval) + interval) % interval);
  return Math.max(d.createdTs, last);
}
