/**
 * The server's state and the one function that changes it, `apply(event)`. The same code runs
 * live and when the journal is replayed, so a restart rebuilds exactly what was acknowledged.
 */
import { createHash } from 'node:crypto';
import { AttrIndex } from './attr-index.js';
import {
  emptyStats,
  FINISHED,
  type Artifact,
  type AttrValue,
  type DDStatus,
  type Deployment,
  type Device,
  type DeviceConfig,
  type DeviceDeployment,
  type DeviceSpec,
  type JournalEvent,
  type ParsedFleetSpec,
} from './model.js';
import { restoreSnapshot, writeSnapshotJournal, type Snapshot, type SnapshotHost } from './snapshot.js';
import { deviceIdFor, FleetSpecSchema, generatedDeviceId, generatedDeviceType } from './spec.js';

export function authSetIdFor(deviceId: string): string {
  return deviceIdFor(`auth-set:${deviceId}`);
}

export class FleetState implements SnapshotHost {
  readonly devices = new Map<string, Device>();
  readonly artifacts: Artifact[] = [];
  readonly deployments = new Map<string, Deployment>();
  /** Deployments newest last (creation order). */
  readonly deploymentOrder: Deployment[] = [];
  /** Device deployments with a scheduled next step: what the simulator looks at. */
  readonly active = new Set<DeviceDeployment>();
  readonly index = new AttrIndex();
  /** Configurations set for device ids the server does not know: Mender's deviceconfig keeps them too (an upsert). */
  readonly detachedConfigs = new Map<string, DeviceConfig>();
  spec: ParsedFleetSpec = FleetSpecSchema.parse({});
  jwtSecret = '';
  /** Simulated time in ms (manual clock position; the real clock is computed elsewhere). */
  now = 0;
  /** The most software deployments active at once since this process started (admin API: is the cap kept?). */
  peakActiveSoftware = 0;
  initialized = false;

  /** Replaces the journal file with this state as one snapshot line (journal compaction). */
  compactJournal(file: string): void {
    writeSnapshotJournal(this, file);
  }

  apply(e: JournalEvent): void {
    // Replayed under the real clock, time resumes from the last event, not from the start.
    if ('ts' in e) this.now = Math.max(this.now, e.ts);
    switch (e.t) {
      case 'init':
        return this.init(e.jwtSecret, e.start, FleetSpecSchema.parse(e.spec));
      case 'snapshot':
        return restoreSnapshot(this, e.state as Snapshot);
      case 'clock':
        this.now = Math.max(this.now, e.now);
        return;
      case 'group':
        return this.setGroup(e.id, e.group, e.ts);
      case 'config.set':
        return this.setConfig(e.id, e.configured, e.ts);
      case 'deploy':
        return this.createDeployment(e);
      case 'abort':
        return this.abortDeployment(e.id, e.ts);
      case 'device.abort':
        return this.abortDevice(e.id, e.ts);
      case 'auth':
        return this.setAuth(e.id, e.status, e.ts);
      case 'preauth':
        return this.preauth(e.id, e.identity, e.pubkey, e.ts);
      case 'device.admin':
        return this.adminDevice(e, e.ts);
      case 'dd':
        return this.stepDeviceDeployment(e.dep, e.dev, e.status, e.ts);
    }
  }

  // ---- seeding ----

  private init(jwtSecret: string, start: number, spec: ParsedFleetSpec): void {
    this.jwtSecret = jwtSecret;
    this.now = start;
    this.spec = spec;
    for (const a of spec.artifacts) {
      this.artifacts.push({
        ...a,
        id: a.id ?? deviceIdFor(`artifact:${a.name}:${a.device_types_compatible.join(',')}`),
        modified: start,
      });
    }
    for (const d of spec.devices) this.addDevice(d.id ?? deviceIdFor(d.name ?? ''), d, start);
    const g = spec.generate;
    if (g) {
      for (let i = 0; i < g.count; i++) {
        const group = g.groups.length ? g.groups[i % g.groups.length] : undefined;
        const device_type = generatedDeviceType(g.device_types, i + 1);
        this.addDevice(
          generatedDeviceId(i + 1),
          {
            device_type,
            artifact_name: g.artifact_name,
            group,
            attributes: g.attributes,
            status: 'accepted',
            online: true,
            fail: false,
          },
          start,
        );
      }
    }
    this.initialized = true;
  }

  addDevice(id: string, d: Omit<DeviceSpec, 'id'>, ts: number): void {
    const dev: Device = {
      id,
      auth: d.status,
      authSetId: authSetIdFor(id),
      identity: { mac: macFor(id) },
      pubkey: '',
      createdTs: ts,
      updatedTs: ts,
      inventory: {
        device_type: d.device_type,
        artifact_name: d.artifact_name,
        'rootfs-image.version': d.artifact_name,
        ...d.attributes,
      },
      name: d.name,
      group: d.group,
      online: d.online,
      offlineAt: d.online ? undefined : ts,
      fail: d.fail || this.spec.failures.devices.includes(id),
      config: this.detachedConfigs.get(id),
      queue: [],
      history: [],
    };
    this.detachedConfigs.delete(id);
    this.devices.set(id, dev);
    this.index.addDevice(dev);
  }

  // ---- inventory / config / auth ----

  private setGroup(id: string, group: string | null, ts: number): void {
    const d = this.devices.get(id);
    if (!d) return;
    this.index.update(d, () => {
      d.group = group ?? undefined;
      d.updatedTs = ts;
    });
  }

  private setConfig(id: string, configured: Record<string, string>, ts: number): void {
    const d = this.devices.get(id);
    if (!d) {
      this.detachedConfigs.set(id, { configured, updatedTs: ts });
      return;
    }
    d.config = { ...(d.config ?? {}), configured, updatedTs: ts };
  }

  private setAuth(id: string, status: Device['auth'], ts: number): void {
    const d = this.devices.get(id);
    if (!d) return;
    this.index.update(d, () => {
      d.auth = status;
      d.updatedTs = ts;
    });
    // A device that may not talk to the server makes no progress.
    this.reschedule(d, ts);
  }

  private preauth(id: string, identity: Record<string, string>, pubkey: string, ts: number): void {
    this.addDevice(
      id,
      { device_type: '', artifact_name: '', attributes: {}, status: 'preauthorized', online: true, fail: false },
      ts,
    );
    const d = this.devices.get(id)!;
    this.index.update(d, () => {
      d.identity = identity;
      d.pubkey = pubkey;
      d.inventory = {};
    });
  }

  private adminDevice(e: Extract<JournalEvent, { t: 'device.admin' }>, ts: number): void {
    const d = this.devices.get(e.id);
    if (!d) return;
    this.index.update(d, () => {
      if (e.fail !== undefined) d.fail = e.fail;
      for (const [k, v] of Object.entries(e.attributes ?? {})) {
        if (v === null) delete d.inventory[k];
        else d.inventory[k] = v as AttrValue;
      }
      d.updatedTs = ts;
    });
    if (e.online !== undefined && e.online !== d.online) {
      d.online = e.online;
      d.offlineAt = e.online ? undefined : ts;
      this.reschedule(d, ts);
    }
  }

  /** Whether the simulated client is talking to the server now. */
  canProgress(d: Device): boolean {
    return d.online && d.auth === 'accepted';
  }

  /** Pause or resume the head deployment when the device goes offline/online. */
  private reschedule(d: Device, ts: number): void {
    const head = d.queue[0];
    if (!head) return;
    if (!this.canProgress(d) && head.nextAt !== undefined) {
      head.pausedFor = Math.max(0, head.nextAt - ts);
      head.nextAt = undefined;
      this.active.delete(head);
    } else if (this.canProgress(d) && head.nextAt === undefined) {
      head.nextAt = ts + (head.pausedFor ?? this.spec.timing.poll_interval * 1000);
      head.pausedFor = undefined;
      this.active.add(head);
    }
  }

  // ---- deployments ----

  private createDeployment(e: Extract<JournalEvent, { t: 'deploy' }>): void {
    const dep: Deployment = {
      id: e.id,
      name: e.name,
      artifactName: e.artifact,
      type: e.kind,
      configuration: e.configuration,
      groups: e.groups,
      force: e.force ?? false,
      created: e.ts,
      devices: new Map(),
      stats: emptyStats(),
      unfinished: 0,
      retries: e.retries ?? 0,
      phases: e.phases?.map((p) => ({ id: p.id, batchSize: p.batch_size, start: p.start })),
    };
    this.deployments.set(dep.id, dep);
    this.deploymentOrder.push(dep);
    const starts = phaseStarts(e.devices.length, dep.phases);
    e.devices.forEach((id, i) => this.addDeviceDeployment(dep, id, e.ts, starts?.[i]));
    if (dep.unfinished === 0) dep.finished = e.ts;
    // Only a create adds an active deployment: the peak is reached at one.
    if (e.kind === 'software' && dep.unfinished > 0)
      this.peakActiveSoftware = Math.max(this.peakActiveSoftware, this.activeSoftwareDeployments());
    if (e.kind === 'configuration' && e.devices[0]) {
      const d = this.devices.get(e.devices[0]);
      if (d) d.config = { ...(d.config ?? { configured: {} }), deploymentId: dep.id };
    }
  }

  private addDeviceDeployment(dep: Deployment, id: string, ts: number, notBefore: number | undefined): void {
    const d = this.devices.get(id);
    const dd: DeviceDeployment = {
      deployment: dep,
      deviceId: id,
      deviceType: d?.inventory.device_type as string | undefined,
      status: 'pending',
      created: ts,
      attempts: 1,
      notBefore,
    };
    dep.devices.set(id, dd);
    dep.stats.pending++;
    dep.unfinished++;
    if (!d) return;
    d.history.push(dd);
    d.queue.push(dd);
    if (d.queue.length === 1) this.startHead(d, ts);
  }

  /** The head of a device's queue is picked up at the device's next poll. */
  private startHead(d: Device, ts: number): void {
    const head = d.queue[0];
    if (!head) return;
    const poll = this.spec.timing.poll_interval * 1000;
    if (this.canProgress(d)) {
      // A device of a later phase is offered the deployment at its first poll after the phase starts.
      head.nextAt = Math.max(ts, head.notBefore ?? ts) + poll;
      this.active.add(head);
    } else {
      head.pausedFor = poll;
    }
  }

  private setStatus(dd: DeviceDeployment, status: DDStatus, ts: number): void {
    const dep = dd.deployment;
    dep.stats[dd.status]--;
    dep.stats[status]++;
    if (dd.status === 'pending' && !dd.started && !FINISHED.has(status)) dd.started = ts;
    dd.status = status;
    if (!FINISHED.has(status)) return;
    dd.finished = ts;
    dd.nextAt = undefined;
    this.active.delete(dd);
    dep.unfinished--;
    if (dep.unfinished === 0) dep.finished = ts;
    const d = this.devices.get(dd.deviceId);
    if (!d) return;
    const i = d.queue.indexOf(dd);
    if (i >= 0) d.queue.splice(i, 1);
    if (i === 0) this.startHead(d, ts);
  }

  private stepDeviceDeployment(depId: string, devId: string, status: DDStatus, ts: number): void {
    const dd = this.deployments.get(depId)?.devices.get(devId);
    if (!dd || FINISHED.has(dd.status)) return;
    const t = this.spec.timing;
    const d = this.devices.get(devId);
    if (status === 'downloading') {
      dd.artifactId = this.artifactFor(dd.deployment.artifactName, dd.deviceType)?.id;
    }
    if (status === 'failure' && dd.attempts <= dd.deployment.retries) return this.retry(dd, ts);
    this.setStatus(dd, status, ts);
    const next = { downloading: t.download, installing: t.install, rebooting: t.reboot } as Record<string, number>;
    if (next[status] !== undefined) {
      dd.nextAt = ts + next[status] * 1000;
      this.active.add(dd);
    }
    if (status === 'success' && d) this.installed(d, dd, ts);
  }

  /** A failed attempt with retries left: the device asks for the deployment again at its next poll. */
  private retry(dd: DeviceDeployment, ts: number): void {
    this.setStatus(dd, 'pending', ts);
    dd.attempts++;
    dd.nextAt = ts + this.spec.timing.poll_interval * 1000;
    this.active.add(dd);
  }

  /** Software deployments not finished yet: what Mender's cap of active deployments counts. */
  activeSoftwareDeployments(): number {
    let n = 0;
    for (const dep of this.deploymentOrder) if (dep.unfinished > 0 && dep.type === 'software') n++;
    return n;
  }

  /** What a successful deployment changes on the device: its image, or its reported configuration. */
  private installed(d: Device, dd: DeviceDeployment, ts: number): void {
    const dep = dd.deployment;
    if (dep.type === 'configuration') {
      const configured = dep.configuration ? (JSON.parse(dep.configuration) as Record<string, string>) : {};
      d.config = { ...(d.config ?? { configured }), reported: configured, reportedTs: ts };
      return;
    }
    for (const name of ['artifact_name', 'rootfs-image.version']) {
      this.index.change(d.id, 'inventory', name, d.inventory[name], dep.artifactName);
      d.inventory[name] = dep.artifactName;
    }
    d.updatedTs = ts;
  }

  artifactFor(name: string, deviceType: string | undefined): Artifact | undefined {
    return this.artifacts.find(
      (a) => a.name === name && deviceType !== undefined && a.device_types_compatible.includes(deviceType),
    );
  }

  private abortDeployment(id: string, ts: number): void {
    const dep = this.deployments.get(id);
    if (!dep) return;
    for (const dd of dep.devices.values()) if (!FINISHED.has(dd.status)) this.abortOne(dd, ts);
    if (dep.unfinished === 0) dep.finished ??= ts;
  }

  private abortDevice(id: string, ts: number): void {
    const d = this.devices.get(id);
    if (!d) return;
    for (const dd of [...d.queue]) this.abortOne(dd, ts);
  }

  private abortOne(dd: DeviceDeployment, ts: number): void {
    this.setStatus(dd, 'aborted', ts);
  }
}

/**
 * Devices per phase, taken in the order the deployment names them: a phase holds
 * floor(batch_size% of the devices), the last phase the rest.
 */
export function phaseSizes(devices: number, phases: { batchSize: number }[]): number[] {
  const sizes = phases.map((p) => Math.floor((devices * p.batchSize) / 100));
  sizes[sizes.length - 1] = devices - sizes.slice(0, -1).reduce((x, y) => x + y, 0);
  return sizes;
}

/** Each device's phase start (undefined: the deployment is not phased, or the phase starts at once). */
function phaseStarts(n: number, phases: Deployment['phases']): (number | undefined)[] | undefined {
  if (!phases?.length) return undefined;
  return phaseSizes(n, phases).flatMap((size, k) => Array<number | undefined>(size).fill(phases[k].start));
}

/** A stable fake MAC address as the device's identity. */
function macFor(id: string): string {
  const h = createHash('sha1').update(id).digest('hex');
  return h.slice(0, 12).match(/../g)!.join(':');
}
