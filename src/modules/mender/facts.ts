/**
 * Facts about one device, assembled from what the Mender server says (never from the device):
 * inventory attributes, deployments in flight, configuration. Pure functions of API answers.
 */
import { z } from 'zod';
import {
  AttributeValue,
  ConfigMap,
  type Deployment,
  type DeviceConfiguration,
  type DeviceInDeployment,
  type DeviceInventory,
} from '../../ota/schemas.js';
import type { SelectAttribute } from '../../ota/client.js';
import { registerSecretKeyValues } from '../../log/index.js';

/** Attributes fetched for every device; a search selects only these (smaller pages). */
export const FACT_ATTRIBUTES: SelectAttribute[] = [
  { scope: 'inventory', attribute: 'device_type' },
  { scope: 'inventory', attribute: 'artifact_name' },
  { scope: 'inventory', attribute: 'rootfs-image.version' },
  { scope: 'inventory', attribute: 'subscribed_branch' },
  { scope: 'tags', attribute: 'subscribed_branch' },
  { scope: 'system', attribute: 'check_in_time' },
  { scope: 'system', attribute: 'updated_ts' },
  { scope: 'system', attribute: 'group' },
  { scope: 'identity', attribute: 'status' },
];

/** Per-device statuses after which a device no longer works on a deployment. */
const FINISHED_DEVICE_STATUS = new Set([
  'success',
  'failure',
  'aborted',
  'noartifact',
  'already-installed',
  'decommissioned',
]);

export const InFlight = z.object({
  id: z.string(),
  name: z.string(),
  artifact_name: z.string(),
  type: z.enum(['software', 'configuration']),
  /** The device's own status within the deployment (pending, downloading, ...). */
  status: z.string(),
  created: z.string(),
  /** Devices of the deployment still working on it (to abort a deployment whole only when all are ours). */
  active_devices: z.number().int(),
});
export type InFlight = z.infer<typeof InFlight>;

export const MenderFacts = z.object({
  id: z.string(),
  device_type: z.string().optional(),
  artifact_name: z.string().optional(),
  rootfs_image_version: z.string().optional(),
  /** The device's own subscription (inventory attribute, else a tag set by an operator). */
  subscribed_branch: z.string().optional(),
  check_in_time: z.string().optional(),
  updated_ts: z.string().optional(),
  group: z.string().optional(),
  status: z.string().optional(),
  deployments: z.array(InFlight),
  config: z
    .object({
      configured: ConfigMap,
      reported: ConfigMap,
      deployment_id: z.string().optional(),
      reported_ts: z.string().optional(),
      /**
       * Whether the latest configuration deployment is still pending or in progress; looked up
       * only when the device does not report what is configured (false otherwise).
       */
      deploying: z.boolean(),
      /** The latest configuration deployment failed on the device (looked up as `deploying` is). */
      failed: z.boolean().optional(),
    })
    .optional(),
  /** Every attribute fetched, as `scope.name` → value. */
  attributes: z.record(z.string(), AttributeValue),
});
export type MenderFacts = z.infer<typeof MenderFacts>;

/**
 * Facts objects this process built from API answers: a module reading the `mender` fact of an
 * earlier task trusts these as they are instead of validating 100k of them again.
 */
const GATHERED = Symbol('fleetplay.gathered');
export function markGathered<T extends MenderFacts>(f: T): T {
  (f as { [GATHERED]?: true })[GATHERED] = true;
  return f;
}
export function isGathered(v: unknown): v is MenderFacts {
  return typeof v === 'object' && v !== null && (v as { [GATHERED]?: true })[GATHERED] === true;
}

const str = (v: unknown): string | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);

/** Inventory answer → facts (deployments and config are added by `withInFlight` / `withConfig`). */
export function factsFromInventory(dev: DeviceInventory): MenderFacts {
  const attrs: Record<string, AttributeValue> = {};
  for (const a of dev.attributes ?? []) attrs[`${a.scope}.${a.name}`] = a.value;
  return markGathered({
    id: dev.id,
    device_type: str(attrs['inventory.device_type']),
    artifact_name: str(attrs['inventory.artifact_name']),
    rootfs_image_version: str(attrs['inventory.rootfs-image.version']),
    subscribed_branch: str(attrs['inventory.subscribed_branch'] ?? attrs['tags.subscribed_branch']),
    check_in_time: str(attrs['system.check_in_time']),
    updated_ts: str(attrs['system.updated_ts'] ?? dev.updated_ts),
    group: str(attrs['system.group']),
    status: str(attrs['identity.status']),
    deployments: [],
    attributes: attrs,
  });
}

/**
 * Software deployments in flight, per device: the devices of each pending/in-progress deployment
 * whose own status is not final.
 */
export function inFlightByDevice(
  deployments: Deployment[],
  devices: Map<string, DeviceInDeployment[]>,
): Map<string, InFlight[]> {
  const out = new Map<string, InFlight[]>();
  for (const d of deployments) {
    if (d.status === 'finished') continue;
    const active = (devices.get(d.id) ?? []).filter((x) => !FINISHED_DEVICE_STATUS.has(x.status));
    for (const dev of active) {
      const entry: InFlight = {
        id: d.id,
        name: d.name,
        artifact_name: d.artifact_name,
        type: d.type ?? 'software',
        status: dev.status,
        created: d.created,
        active_devices: active.length,
      };
      const list = out.get(dev.id);
      if (list) list.push(entry);
      else out.set(dev.id, [entry]);
    }
  }
  return out;
}

export function isFinishedDeviceStatus(status: string): boolean {
  return FINISHED_DEVICE_STATUS.has(status);
}

/** Device configuration answer + whether its latest deployment is still running (or failed) → config facts. */
export function configFacts(
  c: DeviceConfiguration,
  deploying: boolean,
  failed = false,
): NonNullable<MenderFacts['config']> {
  // What the server holds may be an old secret, rotated out of the environment: masked from here on.
  if (c.configured) registerSecretKeyValues(c.configured);
  if (c.reported) registerSecretKeyValues(c.reported);
  return {
    configured: c.configured ?? {},
    reported: c.reported ?? {},
    ...(c.deployment_id ? { deployment_id: c.deployment_id } : {}),
    ...(c.reported_ts ? { reported_ts: c.reported_ts } : {}),
    deploying,
    ...(failed ? { failed } : {}),
  };
}

/** Statistics of a (one-device configuration) deployment → whether it failed there. */
export function failedOn(stats: Record<string, number>): boolean {
  return (stats.failure ?? 0) > 0;
}

/** Statistics of a deployment → whether any device still works on it. */
export function stillDeploying(stats: Record<string, number>): boolean {
  return Object.entries(stats).some(([k, n]) => n > 0 && !FINISHED_DEVICE_STATUS.has(k));
}
