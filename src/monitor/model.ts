/**
 * The monitor's vocabulary: what a branch wants of each device (desired), what the OTA server
 * says about it (observed), and the state that follows (classified). Schemas at the edges
 * (report.json, --json output); the types come from them.
 */
import { z } from 'zod';
import { WaveRow } from '../plan/waves.js';
import { ConfigMap } from '../ota/schemas.js';

/** States in the order people read them; the worst ones last. */
export const DeviceState = z.enum(['converged', 'pending', 'in_progress', 'drift', 'offline', 'failed']);
export type DeviceState = z.infer<typeof DeviceState>;
export const STATES = DeviceState.options;

/**
 * States in which a device stays until someone acts: converged; failed (its deployment ended, only
 * a new run, a fix or retry_failed moves it); drift (nothing scheduled reaches it). Pending and in
 * progress move by themselves, and so may offline: its update is still due and it converges, or
 * fails, when it checks in again, with nobody doing anything.
 */
export const SETTLED_STATES: readonly DeviceState[] = ['converged', 'failed', 'drift'];

/** "in_progress" → "in progress": how states are written for people. */
export const stateLabel = (s: DeviceState | 'not_subscribed'): string => s.replace(/_/g, ' ');

/** A value the run report masked (a secret): compared with what the server has configured. */
export const MASKED = '********';

export const DesiredDevice = z.object({
  host: z.string(),
  device: z.string(),
  /** The OS image the branch wants (a mender_os_update plan entry). */
  artifact: z.string().optional(),
  /** The branch manages this device's configuration; `keys` are the values still to be checked. */
  config: z.object({ keys: ConfigMap }).optional(),
  /** The planner's own words, shown when the device needs attention. */
  why: z.string().optional(),
  /** The run failed this device before deciding what it wants (the plan's failed decision says why). */
  planFailed: z.string().optional(),
  /** Its update waits for its maintenance window (the plan's `window` decision says until when). */
  window: z.string().optional(),
  /** Its rollout wave has not started, or the rollout halted: why (the plan's `later` decision). */
  later: z.string().optional(),
  /** Its rollout wave (1 = the first), when the stage rolls out in waves. */
  wave: z.number().int().optional(),
  /** While `later`: the image it gets when its wave starts (the monitor watches for that). */
  laterArtifact: z.string().optional(),
  /**
   * Its configuration change waits for its wave (or a halt): the monitor reads its configuration
   * all the same, for the wave's progress (a failed configuration deployment is one of its failures).
   */
  configLater: z.literal(true).optional(),
  /** While `configLater`: the values it gets when its wave starts (checked once the wave has them). */
  laterConfig: ConfigMap.optional(),
});
export type DesiredDevice = z.infer<typeof DesiredDevice>;

export const Desired = z.object({
  source: z.enum(['engine', 'report']),
  branch: z.string().nullable(),
  commit: z.string().nullable(),
  devices: z.array(DesiredDevice),
  /** Hosts of the inventory that follow another branch. */
  notSubscribed: z.array(z.string()),
  /** The stage's rollout halted: "halted at wave 2: 3 of 40 failed (at most 2%)". */
  halted: z.string().optional(),
  /** The plan's waves, when the stage rolls out in waves. */
  waves: z.array(WaveRow).optional(),
});
export type Desired = z.infer<typeof Desired>;

/** One device inside one deployment, as the deployment's device list says. */
export interface DeploymentOfDevice {
  id: string;
  name?: string;
  artifact: string;
  /** The device's own status in it: pending, downloading, installing, rebooting, success, failure, ... */
  status: string;
  created: string;
  /** The server holds the device's log of it (Mender: `log: true`). */
  hasLog: boolean;
  /** Last lines of that log, when fetched. */
  logTail?: string[];
}

export interface ObservedDevice {
  id: string;
  found: boolean;
  artifact?: string;
  checkIn?: string;
  /** Software deployments of the desired artifact naming this device, oldest first. */
  os: DeploymentOfDevice[];
  config?: {
    configured: ConfigMap;
    reported: ConfigMap;
    /** The latest configuration deployment and the device's status in it. */
    deployment?: DeploymentOfDevice;
  };
}

export const DeviceReport = z.object({
  host: z.string(),
  device: z.string(),
  state: DeviceState,
  why: z.string(),
  installed: z.string().optional(),
  wanted: z.string().optional(),
  deployment: z.string().optional(),
  checkIn: z.string().optional(),
  logTail: z.array(z.string()).optional(),
  /** Its rollout wave (1 = first), when the stage rolls out in waves. */
  wave: z.number().int().optional(),
});
export type DeviceReport = z.infer<typeof DeviceReport>;

export const Counts = z.object({
  converged: z.number().int(),
  pending: z.number().int(),
  in_progress: z.number().int(),
  drift: z.number().int(),
  offline: z.number().int(),
  failed: z.number().int(),
  not_subscribed: z.number().int(),
});
export type Counts = z.infer<typeof Counts>;

export const Verdict = z.object({
  exitCode: z.number().int(),
  commitState: z.enum(['pending', 'success', 'failure']),
  /** One sentence for people. */
  summary: z.string(),
  /** Nothing pending or in progress (offline devices are not waited for), or failed for good: --wait stops here. */
  settled: z.boolean(),
});
export type Verdict = z.infer<typeof Verdict>;

export const Snapshot = z.object({
  schema: z.literal('fleetplay.monitor/1'),
  branch: z.string(),
  commit: z.string().nullable(),
  /** The OTA server's time when it was taken (its Date header), else the runner's. */
  takenAt: z.string(),
  source: z.enum(['engine', 'report']),
  counts: Counts,
  verdict: Verdict,
  devices: z.array(DeviceReport),
  api: z.object({ requests: z.number().int(), byEndpoint: z.record(z.string(), z.number().int()) }),
  /** The stage rolls out in waves: each wave's progress as the plan saw it, and a halt. */
  rollout: z.object({ waves: z.array(WaveRow), halted: z.string().optional() }).optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;
