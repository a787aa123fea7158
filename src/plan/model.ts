/**
 * The typed plan: per device, what the run decided for its OS image and for its configuration.
 * Built from the entries the mender_* modules record (src/plan/build.ts); the renderers, the
 * report readers and `fleetplay plan` read this model rather than guessing from strings.
 */
import { z } from 'zod';

export const OsDecision = z.discriminatedUnion('action', [
  z.object({ action: z.literal('none') }),
  z.object({ action: z.literal('deploy'), from: z.string().optional(), to: z.string() }),
  z.object({ action: z.literal('wait'), deployment: z.string().optional(), artifact: z.string() }),
  /** Deployments of another image in flight are aborted first; with `to` equal to `from`, only aborted. */
  z.object({
    action: z.literal('abort-then-deploy'),
    abort: z.array(z.string()),
    from: z.string().optional(),
    to: z.string(),
  }),
  z.object({
    action: z.literal('held'),
    deployment: z.string().optional(),
    failed_at: z.string().optional(),
    retry: z.string(),
  }),
  z.object({ action: z.literal('fail'), why: z.string() }),
]);
export type OsDecision = z.infer<typeof OsDecision>;

export const ConfigDecision = z.discriminatedUnion('action', [
  z.object({ action: z.literal('none') }),
  /** Keys only: configuration values may be secrets. */
  z.object({
    action: z.literal('set'),
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
  }),
  z.object({ action: z.literal('wait') }),
  z.object({ action: z.literal('fail'), why: z.string() }),
]);
export type ConfigDecision = z.infer<typeof ConfigDecision>;

export const DevicePlan = z.object({
  host: z.string(),
  device_id: z.string(),
  os: OsDecision,
  config: ConfigDecision,
});
export type DevicePlan = z.infer<typeof DevicePlan>;

export const Plan = z.object({
  schema: z.literal('fleetplay.plan/1'),
  devices: z.array(DevicePlan),
});
export type Plan = z.infer<typeof Plan>;

/** The hint a held device carries (the default playbook passes `-e retry_failed` to mender_os_update). */
export const RETRY_HINT = 'fleetplay run -e retry_failed=true';

export const osChanges = (d: OsDecision): boolean => d.action === 'deploy' || d.action === 'abort-then-deploy';
export const changes = (d: DevicePlan): boolean => osChanges(d.os) || d.config.action === 'set';
