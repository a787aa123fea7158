/** JSON shapes of the Mender management API, built from the in-memory state. */
import { attributeValue, staticAttributes, type Attribute } from './attr-index.js';
import { iso } from './http.js';
import type { Artifact, Deployment, Device, DeviceDeployment } from './model.js';
import { phaseViews } from './routes/phases.js';
import { checkInTime } from './sim.js';
import type { FleetState } from './state.js';

export interface Selected {
  scope: string;
  attribute: string;
}

/** A device as inventory serves it; `select` limits the attributes (v2 search `attributes`). */
export function inventoryDevice(state: FleetState, d: Device, now: number, select?: Selected[]) {
  let attributes: Attribute[];
  if (select) {
    attributes = [];
    for (const s of select) {
      const value = attributeValue(d, s.scope, s.attribute, (x) => checkInTime(state, x, now));
      if (value !== undefined) attributes.push({ name: s.attribute, value, scope: s.scope as Attribute['scope'] });
    }
  } else {
    attributes = staticAttributes(d);
    attributes.push(
      { name: 'created_ts', value: iso(d.createdTs)!, scope: 'system' },
      { name: 'updated_ts', value: iso(d.updatedTs)!, scope: 'system' },
      { name: 'check_in_time', value: iso(checkInTime(state, d, now))!, scope: 'system' },
    );
  }
  return { id: d.id, attributes, updated_ts: iso(d.updatedTs) };
}

export type DeploymentStatus = 'pending' | 'inprogress' | 'finished';

export function deploymentStatus(dep: Deployment): DeploymentStatus {
  if (dep.unfinished === 0) return 'finished';
  return dep.stats.pending === dep.devices.size ? 'pending' : 'inprogress';
}

/** DeploymentV1 and DeploymentV2 share these fields. */
export function deployment(state: FleetState, dep: Deployment) {
  const artifacts = state.artifacts.filter((a) => a.name === dep.artifactName).map((a) => a.id);
  return {
    id: dep.id,
    name: dep.name,
    artifact_name: dep.artifactName,
    created: iso(dep.created)!,
    finished: iso(dep.finished),
    status: deploymentStatus(dep),
    device_count: dep.devices.size,
    artifacts,
    groups: dep.groups,
    type: dep.type,
    configuration: dep.configuration,
    statistics: { status: { ...dep.stats }, total_size: 0 },
  };
}

/** DeploymentV2 adds Mender Enterprise's fields: `retries`, `phases`, and `scheduled` before the first phase starts. */
export function deploymentV2(state: FleetState, dep: Deployment) {
  const v = deployment(state, dep);
  const first = dep.phases?.[0]?.start;
  return {
    ...v,
    ...(first !== undefined && first > state.now && v.status === 'pending' ? { status: 'scheduled' as const } : {}),
    ...(dep.retries ? { retries: dep.retries } : {}),
    ...(dep.phases ? { phases: phaseViews(dep) } : {}),
  };
}

export function artifactV1(a: Artifact) {
  return {
    id: a.id,
    name: a.name,
    description: a.description ?? '',
    device_types_compatible: a.device_types_compatible,
    info: { format: 'mender', version: 3 },
    signed: false,
    updates: [{ type_info: { type: 'rootfs-image' }, files: [{ name: `${a.name}.ext4`, size: a.size }], metadata: {} }],
    artifact_provides: { artifact_name: a.name, 'rootfs-image.version': a.name },
    artifact_depends: { device_type: a.device_types_compatible },
    clears_artifact_provides: ['rootfs-image.*'],
    size: a.size,
    modified: iso(a.modified)!,
  };
}

export function deviceWithImage(state: FleetState, dd: DeviceDeployment) {
  const a = dd.artifactId ? state.artifacts.find((x) => x.id === dd.artifactId) : undefined;
  return {
    id: dd.deviceId,
    status: dd.status,
    created: iso(dd.created),
    started: iso(dd.started),
    finished: iso(dd.finished),
    device_type: dd.deviceType,
    log: dd.status === 'failure',
    image: a
      ? {
          id: a.id,
          meta_artifact: { name: a.name, device_types_compatible: a.device_types_compatible },
          size: a.size,
          modified: iso(a.modified),
        }
      : undefined,
  };
}

export function deviceConfiguration(d: Pick<Device, 'id' | 'config'>) {
  const c = d.config;
  return {
    id: d.id,
    configured: c?.configured ?? {},
    reported: c?.reported ?? {},
    deployment_id: c?.deploymentId,
    reported_ts: iso(c?.reportedTs),
    updated_ts: iso(c?.updatedTs),
  };
}

export function devauthDevice(state: FleetState, d: Device, now: number) {
  const authSet = {
    id: d.authSetId,
    device_id: d.id,
    identity_data: d.identity,
    pubkey: d.pubkey,
    status: d.auth,
    ts: iso(d.createdTs),
  };
  return {
    id: d.id,
    identity_data: d.identity,
    status: d.auth,
    created_ts: iso(d.createdTs),
    updated_ts: iso(d.updatedTs),
    check_in_time: d.auth === 'accepted' ? iso(checkInTime(state, d, now)) : undefined,
    auth_sets: [authSet],
    decommissioning: false,
  };
}

/**
 * The log a Mender client uploads when a deployment fails (only then: `log: true` in the device
 * list). Built from the recorded steps, so the same failure always reads the same.
 */
export function deploymentLog(d: Device | undefined, dd: DeviceDeployment): string | undefined {
  if (dd.status !== 'failure') return undefined;
  const at = (ms: number | undefined) => new Date(ms ?? dd.created).toISOString();
  const dep = dd.deployment;
  const was = d?.inventory.artifact_name ?? 'the previous image';
  const lines =
    dep.type === 'software'
      ? [
          `${at(dd.started)} info: Running Mender client, deployment ${dep.id}`,
          `${at(dd.started)} info: Downloading artifact ${dep.artifactName}`,
          `${at(dd.started)} info: Installing update ${dep.artifactName} to the inactive partition`,
          `${at(dd.started)} info: Rebooting into the new image`,
          `${at(dd.finished)} error: the new image did not commit: health check failed after boot (kiosk.service exited with status 1)`,
          `${at(dd.finished)} info: Rolling back to ${String(was)}`,
          `${at(dd.finished)} error: deployment failed, device runs ${String(was)}`,
        ]
      : [
          `${at(dd.started)} info: Applying configuration of deployment ${dep.id}`,
          `${at(dd.finished)} error: configuration script exited with status 1`,
        ];
  return lines.join('\n') + '\n';
}
