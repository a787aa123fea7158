/**
 * The typed plan: per device, what the run decided for its OS image and for its configuration.
 * Built from the entries the mender_* modules record and the run's failures (src/plan/build.ts);
 * report.json's `plan`, the renderers, the job summary, the monitor and the demo read this model
 * rather than guessing from strings. New facts about a decision (e.g. what the apply did) are new
 * optional fields here, so older readers keep working.
 */
import { z } from 'zod';
import { ConfigMap } from '../ota/schemas.js';

/** The planner's own words ("runs fleet-os-1.1.0", "configuration differs"), for people. */
const why = { why: z.string().optional() };

export const OsDecision = z.discriminatedUnion('action', [
  /** With `to`: the device runs `to`, the image wanted. Without: no OS decision for the device. */
  z.object({ action: z.literal('none'), to: z.string().optional(), ...why }),
  z.object({ action: z.literal('deploy'), from: z.string().optional(), to: z.string(), ...why }),
  z.object({ action: z.literal('wait'), deployment: z.string().optional(), artifact: z.string(), ...why }),
  /** Deployments of another image in flight are aborted first; with `to` equal to `from`, only aborted. */
  z.object({
    action: z.literal('abort-then-deploy'),
    abort: z.array(z.string()),
    from: z.string().optional(),
    to: z.string(),
    ...why,
  }),
  z.object({
    action: z.literal('held'),
    deployment: z.string().optional(),
    failed_at: z.string().optional(),
    retry: z.string(),
    to: z.string().optional(),
    ...why,
  }),
  /** `to` would be deployed, but the device is outside its maintenance window until `opens` (ISO). */
  z.object({
    action: z.literal('window'),
    from: z.string().optional(),
    to: z.string(),
    opens: z.string(),
    window: z.string(),
    why: z.string(),
  }),
  /**
   * To be deployed, but the OTA server's cap of active deployments (`mender_api.max_active_deployments`)
   * leaves no room this run: `why` says the cap and how many are from elsewhere; a later run schedules it.
   */
  z.object({ action: z.literal('deferred'), from: z.string().optional(), to: z.string(), why: z.string() }),
  /** `to`: the image wanted, when the run got that far. */
  z.object({ action: z.literal('fail'), why: z.string(), to: z.string().optional() }),
  /**
   * The stage rolls out in waves and the device's wave has not started (why: when it does; `opens`:
   * when the soak of the wave before ends, ISO), or the rollout of this release halted (`halted` at
   * wave `halted_wave`; `abort`: its deployment aborted, on_halt: abort).
   */
  z.object({
    action: z.literal('later'),
    wave: z.number().int(),
    to: z.string(),
    halted: z.literal(true).optional(),
    halted_wave: z.number().int().optional(),
    opens: z.string().optional(),
    abort: z.array(z.string()).optional(),
    why: z.string(),
  }),
]);
export type OsDecision = z.infer<typeof OsDecision>;

export const ConfigDecision = z.discriminatedUnion('action', [
  /** `checked`: the device's configuration was compared and matches. Without: no configuration decision. */
  z.object({ action: z.literal('none'), checked: z.literal(true).optional(), ...why }),
  /**
   * Keys for people; `values` holds the new value of each added or changed key (secret-named keys
   * masked) for the monitor to check the device against. Renderers show keys only.
   */
  z.object({
    action: z.literal('set'),
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    values: ConfigMap.optional(),
    ...why,
  }),
  z.object({ action: z.literal('wait'), ...why }),
  /** A `set` (its keys) the device gets when its maintenance window opens at `opens` (ISO). */
  z.object({
    action: z.literal('window'),
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    opens: z.string(),
    window: z.string(),
    why: z.string(),
  }),
  z.object({ action: z.literal('fail'), why: z.string() }),
  /**
   * A `set` (its keys) waiting for the device's rollout wave (why: when it starts), or held back
   * because the rollout of this commit halted (`halted`), as the OS decision `later` is.
   */
  z.object({
    action: z.literal('later'),
    wave: z.number().int(),
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    halted: z.literal(true).optional(),
    /** The device's own deployment of this configuration failed: one of its wave's failures. */
    failed: z.literal(true).optional(),
    /** The values it gets when its wave starts (as `set`'s), for the monitor. */
    values: ConfigMap.optional(),
    why: z.string(),
  }),
]);
export type ConfigDecision = z.infer<typeof ConfigDecision>;

/**
 * What the apply phase did with a device's writes: sent, failed (the server refused or could not
 * be reached; `error` says why), or not sent (the plan gate stopped them, or the host failed).
 */
export const ApplyOutcome = z.object({
  status: z.enum(['sent', 'failed', 'not-sent']),
  error: z.string().optional(),
});
export type ApplyOutcome = z.infer<typeof ApplyOutcome>;

/** The apply phase of a `--mode run` in report.json: the gate's verdict, the writes, the hosts whose write failed. */
export const ApplySummary = z.object({
  applied: z.boolean(),
  writes: z.number().int(),
  /** Devices written for. */
  devices: z.number().int(),
  /** Host → why its write failed. */
  failed: z.record(z.string(), z.string()),
  /** The caller stopped every write before the first (the stage branch moved on): why, and the exit code. */
  stopped: z.object({ code: z.string(), message: z.string(), exitCode: z.number().int() }).optional(),
});

export const DevicePlan = z.object({
  host: z.string(),
  device_id: z.string(),
  /** The device follows another stage (its subscribed_branch is not the run's branch): left alone. */
  other_stage: z.boolean().optional(),
  /** Its rollout wave (1 = first), when the stage rolls out in waves (docs/configuration.md). */
  wave: z.number().int().optional(),
  os: OsDecision,
  config: ConfigDecision,
  /** Only for a device something was to be written for in `--mode run`. */
  apply: ApplyOutcome.optional(),
});
export type DevicePlan = z.infer<typeof DevicePlan>;

export const Plan = z.object({
  schema: z.literal('fleetplay.plan/1'),
  devices: z.array(DevicePlan),
});
export type Plan = z.infer<typeof Plan>;

/** The hint a held device carries (the default playbook passes `-e retry_failed` to mender_os_update). */
export const RETRY_HINT = 'fleetplay run -e retry_failed=true';

export type OsChange = Extract<OsDecision, { action: 'deploy' | 'abort-then-deploy' }>;
export const osChanges = (d: OsDecision): d is OsChange => d.action === 'deploy' || d.action === 'abort-then-deploy';
/** A halted wave's deployment aborted (on_halt: abort) is a write too. */
const haltAborts = (o: OsDecision): boolean => o.action === 'later' && (o.abort?.length ?? 0) > 0;
export const changes = (d: DevicePlan): boolean => osChanges(d.os) || haltAborts(d.os) || d.config.action === 'set';
/** Something would change but waits for the device's maintenance window. */
export const waitsForWindow = (d: DevicePlan): boolean => d.os.action === 'window' || d.config.action === 'window';
export const fails = (d: DevicePlan): boolean => d.os.action === 'fail' || d.config.action === 'fail';

/** The OS image the run wants on the device, whatever it decided; undefined when it did not get that far. */
export function wantedImage(o: OsDecision): string | undefined {
  return o.action === 'wait' ? o.artifact : o.to;
}

/** The plan's own account of a rollout halt ("halted at wave 2: 3 of 40 failed (at most 2%)"), if any. */
export function haltOf(devices: readonly DevicePlan[]): string | undefined {
  for (const x of devices) {
    const halted = [x.os, x.config].find((c) => c.action === 'later' && c.halted);
    if (halted?.why) return halted.why.split('; ')[0];
  }
  return undefined;
}

/** Why the device waits for its wave (or the halt), OS first; undefined when neither change waits. */
export function laterOf(d: DevicePlan): string | undefined {
  if (d.os.action === 'later') return d.os.why;
  return d.config.action === 'later' ? d.config.why : undefined;
}

/** The run decided something about the device's configuration (it manages it). */
export const configDecided = (c: ConfigDecision): boolean => c.action !== 'none' || c.checked === true;
