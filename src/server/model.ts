/** In-memory state of the simulated Mender server, and the journal events that change it. */
import { z } from 'zod';
import type { ArtifactSpec, DeviceSpec, ParsedFleetSpec } from './spec.js';

export type AttrValue = string | number | boolean | string[] | number[];
export type Scope = 'identity' | 'inventory' | 'system' | 'tags' | 'monitor';
export type AuthStatus = 'pending' | 'accepted' | 'rejected' | 'preauthorized' | 'noauth';

export const DD_STATUSES = [
  'success',
  'pending',
  'downloading',
  'rebooting',
  'installing',
  'failure',
  'noartifact',
  'already-installed',
  'aborted',
  'pause_before_installing',
  'pause_before_rebooting',
  'pause_before_committing',
] as const;
export type DDStatus = (typeof DD_STATUSES)[number];
export const emptyStats = (): Record<DDStatus, number> =>
  Object.fromEntries(DD_STATUSES.map((s) => [s, 0])) as Record<DDStatus, number>;
export const FINISHED: ReadonlySet<DDStatus> = new Set([
  'success',
  'failure',
  'noartifact',
  'already-installed',
  'aborted',
]);

export interface DeviceConfig {
  configured: Record<string, string>;
  reported?: Record<string, string>;
  reportedTs?: number;
  updatedTs?: number;
  deploymentId?: string;
}

export interface Device {
  id: string;
  auth: AuthStatus;
  authSetId: string;
  identity: Record<string, string>;
  pubkey: string;
  createdTs: number;
  updatedTs: number;
  /** Inventory-scope attributes (device_type, artifact_name, rootfs-image.version, ...). */
  inventory: Record<string, AttrValue>;
  name?: string;
  group?: string;
  online: boolean;
  /** Simulated time the device went offline: its check-in time stops there. */
  offlineAt?: number;
  fail: boolean;
  config?: DeviceConfig;
  /** Unfinished device deployments in creation order; the head is the active one. */
  queue: DeviceDeployment[];
  /** All device deployments, oldest first. */
  history: DeviceDeployment[];
}

export interface DeviceDeployment {
  deployment: Deployment;
  deviceId: string;
  deviceType?: string;
  status: DDStatus;
  created: number;
  started?: number;
  finished?: number;
  /** Simulated time of the next step; undefined while waiting behind another deployment. */
  nextAt?: number;
  /** Remaining time of the current step while the device is offline. */
  pausedFor?: number;
  artifactId?: string;
  /** Attempts so far (1 on the first try); a failed attempt is retried while it is at most the deployment's `retries`. */
  attempts: number;
  /** Start of the device's phase (phased deployments): the device is not offered the deployment before. */
  notBefore?: number;
}

/** One phase of a phased deployment (Mender Enterprise): a share of the devices and when it starts. */
export interface Phase {
  id: string;
  /** Percentage of the deployment's devices. */
  batchSize: number;
  /** When the phase starts (ms); the first phase may have none (it starts at once). */
  start?: number;
}

export interface Deployment {
  id: string;
  name: string;
  artifactName: string;
  type: 'software' | 'configuration';
  configuration?: string;
  groups?: string[];
  force: boolean;
  created: number;
  finished?: number;
  devices: Map<string, DeviceDeployment>;
  stats: Record<DDStatus, number>;
  unfinished: number;
  /** How many times a device may retry after a failed attempt (`retries` of the create body). */
  retries: number;
  phases?: Phase[];
}

export interface Artifact extends ArtifactSpec {
  id: string;
  modified: number;
}

/** Journal events: every change of acknowledged state is one of these, applied the same way live and on replay. */
export const JournalEvent = z.discriminatedUnion('t', [
  z.object({ t: z.literal('init'), jwtSecret: z.string(), start: z.number(), spec: z.unknown() }),
  /** The whole state at one moment: what a compacted journal starts with (see snapshot.ts). */
  z.object({ t: z.literal('snapshot'), state: z.unknown() }),
  z.object({ t: z.literal('clock'), now: z.number() }),
  z.object({ t: z.literal('group'), id: z.string(), group: z.string().nullable(), ts: z.number() }),
  z.object({
    t: z.literal('config.set'),
    id: z.string(),
    configured: z.record(z.string(), z.string()),
    ts: z.number(),
  }),
  z.object({
    t: z.literal('deploy'),
    id: z.string(),
    name: z.string(),
    artifact: z.string(),
    kind: z.enum(['software', 'configuration']),
    devices: z.array(z.string()),
    groups: z.array(z.string()).optional(),
    configuration: z.string().optional(),
    force: z.boolean().optional(),
    retries: z.number().int().nonnegative().optional(),
    /** Resolved at creation: each phase's share and start; devices fall into phases in the order given. */
    phases: z
      .array(z.object({ id: z.string(), batch_size: z.number().int(), start: z.number().optional() }))
      .optional(),
    ts: z.number(),
  }),
  z.object({ t: z.literal('abort'), id: z.string(), ts: z.number() }),
  z.object({ t: z.literal('device.abort'), id: z.string(), ts: z.number() }),
  z.object({
    t: z.literal('auth'),
    id: z.string(),
    status: z.enum(['pending', 'accepted', 'rejected', 'preauthorized', 'noauth']),
    ts: z.number(),
  }),
  z.object({
    t: z.literal('preauth'),
    id: z.string(),
    identity: z.record(z.string(), z.string()),
    pubkey: z.string(),
    ts: z.number(),
  }),
  z.object({
    t: z.literal('device.admin'),
    id: z.string(),
    online: z.boolean().optional(),
    fail: z.boolean().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    ts: z.number(),
  }),
  z.object({ t: z.literal('dd'), dep: z.string(), dev: z.string(), status: z.enum(DD_STATUSES), ts: z.number() }),
]);
export type JournalEvent = z.infer<typeof JournalEvent>;

export type { ParsedFleetSpec, DeviceSpec };
