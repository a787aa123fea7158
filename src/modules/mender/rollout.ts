/**
 * What mender_os_update and mender_config share of a stage's rollout in one run. The OS module
 * runs first in the default playbook and decides the waves with each device's one progression
 * (its OS and its configuration against this commit, src/rollout/progress.ts); the configuration
 * module takes that verdict for the same device instead of deciding again from half the facts.
 * Run-scoped (a RunContext service): two runs in one process keep theirs apart.
 */
import type { RunService, ServiceDef } from '../../run/context.js';
import type { WaveVerdict } from '../../rollout/index.js';

export class RolloutVerdicts implements RunService {
  private readonly byDevice = new Map<string, WaveVerdict>();

  record(verdicts: ReadonlyMap<string, WaveVerdict>): void {
    for (const [device, v] of verdicts) this.byDevice.set(device, v);
  }

  get(device: string): WaveVerdict | undefined {
    return this.byDevice.get(device);
  }

  close(): void {
    this.byDevice.clear();
  }
}

export const rolloutService: ServiceDef<RolloutVerdicts> = {
  name: 'rollout',
  start: () => new RolloutVerdicts(),
};
