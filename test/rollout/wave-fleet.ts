/** The rollout tests' fleet on the embedded server: `n` generated Raspberry Pi 4 devices on fleet-os-1.0.0. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MONITOR_DEFAULTS, type MonitorArgs } from '../../src/monitor/command.js';
import { assignWaves, rolloutPolicyOf } from '../../src/rollout/index.js';
import { generatedDeviceId, type FleetSpec } from '../../src/server/index.js';
import { git } from '../stage/helpers.js';

export const GOOD = 'fleet-os-1.1.0';
/** Fails on every device it reaches. */
export const BAD = 'fleet-os-1.2.0';

export const waveFleetSpec = (n: number): FleetSpec => ({
  artifacts: ['1.0.0', '1.1.0', '1.2.0'].map((v) => ({
    name: `fleet-os-${v}`,
    device_types_compatible: ['raspberrypi4'],
  })),
  generate: { count: n, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
  failures: { rate: 0, devices: [], artifacts: [BAD] },
  start_time: '2026-03-01T00:00:00Z',
});

/** Commits production (in `dir`) wanting `image` on every device, under `policy` (lines below `rollout:`). */
export function release(dir: string, image: string, policy: readonly string[]): void {
  writeFileSync(join(dir, 'fleetplay.yml'), ['stages: [main, production]', 'rollout:', ...policy, ''].join('\n'));
  writeFileSync(
    join(dir, 'inventory', 'group_vars', 'all.yml'),
    ['subscribed_branch: production', 'os_image:', `  raspberrypi4: ${image}`, ''].join('\n'),
  );
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', `release ${image}`);
}

/** `fleetplay monitor` of production in `dir` once (no --wait), as the monitor job runs it. */
export const monitorArgs = (dir: string, server: string): MonitorArgs => ({
  inventory: [join(dir, 'inventory')],
  playbook: join(dir, 'playbooks/manage-fleet.yml'),
  repo: dir,
  server,
  wait: false,
  json: false,
  ...MONITOR_DEFAULTS,
});

/** The waves (device ids) production's policy in `dir` cuts the `n` generated devices into. */
export function policyWaves(dir: string, n: number): string[][] {
  const p = rolloutPolicyOf(dir, 'production');
  if (!p.ok || !p.value) throw new Error('no policy');
  const ids = Array.from({ length: n }, (_, i) => generatedDeviceId(i + 1));
  return assignWaves(
    ids.map((id) => ({ host: id, device: id })),
    p.value,
  );
}
