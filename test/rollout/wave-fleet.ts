/** The rollout tests' fleet on the embedded server: `n` generated Raspberry Pi 4 devices on fleet-os-1.0.0. */
import type { FleetSpec } from '../../src/server/index.js';

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
