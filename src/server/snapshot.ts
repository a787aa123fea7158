/**
 * Journal compaction: the whole state as one `snapshot` event. At start, a long journal is
 * rewritten as that one line (temp file, fsync, atomic rename), so replay time follows the
 * fleet's size, not its history.
 */
import {
  emptyStats,
  FINISHED,
  type Artifact,
  type DDStatus,
  type Deployment,
  type Device,
  type DeviceConfig,
  type DeviceDeployment,
} from './model.js';
import { encodeEvent, writeFileAtomic } from './journal.js';
import type { AttrIndex } from './attr-index.js';
import { FleetSpecSchema, type ParsedFleetSpec } from './spec.js';

/**
 * The parts of the server state a snapshot holds. FleetState itself takes and restores its snapshot
 * (state.ts calls these); this module only knows the shape, so it does not import state.ts.
 */
export interface SnapshotHost {
  readonly devices: Map<string, Device>;
  readonly artifacts: Artifact[];
  readonly deployments: Map<string, Deployment>;
  readonly deploymentOrder: Deployment[];
  readonly active: Set<DeviceDeployment>;
  readonly index: AttrIndex;
  readonly detachedConfigs: Map<string, DeviceConfig>;
  spec: ParsedFleetSpec;
  jwtSecret: string;
  now: number;
  initialized: boolean;
}

type DeviceSnap = Omit<Device, 'queue' | 'history'>;
/** deviceId, deviceType, status, created, started, finished, nextAt, pausedFor, artifactId (null for absent). */
type DDSnap = [
  string,
  string | null,
  DDStatus,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
  /** attempts and notBefore: absent in snapshots written before retries and phases. */
  number?,
  (number | null)?,
];
interface DeploymentSnap {
  id: string;
  name: string;
  artifactName: string;
  type: Deployment['type'];
  configuration?: string;
  groups?: string[];
  force: boolean;
  created: number;
  finished?: number;
  retries?: number;
  phases?: Deployment['phases'];
  dds: DDSnap[];
}
export interface Snapshot {
  jwtSecret: string;
  now: number;
  spec: unknown;
  artifacts: Artifact[];
  devices: DeviceSnap[];
  deployments: DeploymentSnap[];
  /** Absent in snapshots written before configurations of unknown devices were kept. */
  detachedConfigs?: [string, DeviceConfig][];
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const orUndef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function takeSnapshot(state: SnapshotHost): Snapshot {
  return {
    jwtSecret: state.jwtSecret,
    now: state.now,
    // Seeding already happened: the devices below are the fleet now.
    spec: { ...state.spec, devices: [], generate: undefined },
    artifacts: state.artifacts,
    devices: [...state.devices.values()].map(({ queue: _q, history: _h, ...d }) => d),
    deployments: state.deploymentOrder.map((dep) => ({
      id: dep.id,
      name: dep.name,
      artifactName: dep.artifactName,
      type: dep.type,
      configuration: dep.configuration,
      groups: dep.groups,
      force: dep.force,
      created: dep.created,
      finished: dep.finished,
      retries: dep.retries,
      phases: dep.phases,
      dds: [...dep.devices.values()].map((dd) => [
        dd.deviceId,
        orNull(dd.deviceType),
        dd.status,
        dd.created,
        orNull(dd.started),
        orNull(dd.finished),
        orNull(dd.nextAt),
        orNull(dd.pausedFor),
        orNull(dd.artifactId),
        dd.attempts,
        orNull(dd.notBefore),
      ]),
    })),
    detachedConfigs: [...state.detachedConfigs],
  };
}

export function restoreSnapshot(state: SnapshotHost, s: Snapshot): void {
  state.jwtSecret = s.jwtSecret;
  state.now = s.now;
  state.spec = FleetSpecSchema.parse(s.spec);
  state.artifacts.push(...s.artifacts);
  for (const [id, config] of s.detachedConfigs ?? []) state.detachedConfigs.set(id, config);
  for (const d of s.devices) {
    const dev: Device = { ...d, queue: [], history: [] };
    state.devices.set(dev.id, dev);
    state.index.addDevice(dev);
  }
  for (const ds of s.deployments) {
    const { dds, ...rest } = ds;
    const dep: Deployment = {
      ...rest,
      retries: rest.retries ?? 0,
      devices: new Map(),
      stats: emptyStats(),
      unfinished: 0,
    };
    state.deployments.set(dep.id, dep);
    state.deploymentOrder.push(dep);
    for (const [
      deviceId,
      deviceType,
      status,
      created,
      started,
      finished,
      nextAt,
      pausedFor,
      artifactId,
      attempts,
      notBefore,
    ] of dds) {
      const dd: DeviceDeployment = {
        deployment: dep,
        deviceId,
        deviceType: orUndef(deviceType),
        status,
        created,
        started: orUndef(started),
        finished: orUndef(finished),
        nextAt: orUndef(nextAt),
        pausedFor: orUndef(pausedFor),
        artifactId: orUndef(artifactId),
        attempts: attempts ?? 1,
        notBefore: orUndef(notBefore ?? null),
      };
      dep.devices.set(deviceId, dd);
      dep.stats[status]++;
      const d = state.devices.get(deviceId);
      d?.history.push(dd);
      if (FINISHED.has(status)) continue;
      dep.unfinished++;
      d?.queue.push(dd);
      if (dd.nextAt !== undefined) state.active.add(dd);
    }
  }
  state.initialized = true;
}

/** Replaces the journal with one snapshot line, atomically: a crash leaves the old or the new file. */
export function writeSnapshotJournal(state: SnapshotHost, file: string): void {
  writeFileAtomic(file, encodeEvent({ t: 'snapshot', state: takeSnapshot(state) }));
}
