/**
 * OS updates as pure decisions: facts + desired artifact → what to do with each device, then
 * the decisions folded into few writes (one deployment per artifact and batch, aborts grouped
 * by deployment).
 */
import type { InFlight, MenderFacts } from './facts.js';

export interface OsInput {
  host: string;
  facts: MenderFacts;
  /** Desired artifact name. */
  desired: string;
}

interface Base {
  host: string;
  device: string;
  from?: string;
  to: string;
  why: string;
  /** The device's rollout wave (1 = first), when the stage rolls out in waves (src/rollout). */
  wave?: number;
}

export type OsDecision =
  | (Base & { action: 'none' })
  | (Base & { action: 'wait'; deployment: string; abort: InFlight[] })
  | (Base & { action: 'deploy'; abort: InFlight[] })
  | (Base & { action: 'abort'; abort: InFlight[] })
  | (Base & { action: 'held'; deployment: string; failedAt?: string })
  /** Would write (deploy, abort), but the device is outside its maintenance window until `opens`. */
  | (Base & { action: 'window'; opens: string; window: string })
  /** To be deployed, but the server's cap of active deployments leaves no room this run. */
  | (Base & { action: 'deferred' })
  /**
   * Its wave has not started, or the rollout halted (`haltedWave`: the wave that did); `abort`: its
   * halted wave's deployment (on_halt: abort); `opens`: when the soak before it ends (ISO).
   */
  | (Base & { action: 'later'; wave: number; halted?: boolean; haltedWave?: number; opens?: string; abort: InFlight[] })
  | (Base & { action: 'fail' });

/** The device's last deployment of the desired artifact failed (see `recentFailures`). */
export interface FailedBefore {
  deployment: string;
  artifact_name: string;
  finished?: string;
}

/** Artifact name → device types some artifact of that name is compatible with. */
export type ArtifactCatalog = Map<string, Set<string>>;

export function catalog(artifacts: { name: string; device_types_compatible: string[] }[]): ArtifactCatalog {
  const out: ArtifactCatalog = new Map();
  for (const a of artifacts) {
    const set = out.get(a.name) ?? new Set<string>();
    for (const t of a.device_types_compatible) set.add(t);
    out.set(a.name, set);
  }
  return out;
}

export function installedArtifact(f: MenderFacts): string | undefined {
  return f.artifact_name ?? f.rootfs_image_version;
}

/** base + the decision (not a spread plus keys: on node 20 that gives every host's object its own hidden class). */
const decision = <D extends { action: OsDecision['action']; why: string }>(
  base: Omit<Base, 'why'>,
  d: D,
): Omit<Base, 'why'> & D => Object.assign({}, base, d);

/**
 * `failed`: when the device's deployment of the desired artifact failed before, it is not
 * deployed again (running the same commit twice changes nothing) unless `retryFailed`.
 */
export function planOsUpdate(
  input: OsInput,
  artifacts: ArtifactCatalog,
  failed?: FailedBefore,
  retryFailed = false,
): OsDecision {
  const { host, facts, desired } = input;
  const from = installedArtifact(facts);
  const base = { host, device: facts.id, from, to: desired };
  const software = facts.deployments.filter((d) => d.type === 'software');
  const same = software.find((d) => d.artifact_name === desired);
  const abort = software.filter((d) => d.artifact_name !== desired);
  const aborting = abort.length ? `; aborting the deployment of ${names(abort)} in flight` : '';
  if (from === desired) {
    if (abort.length)
      return decision(base, {
        action: 'abort',
        abort,
        why: `${desired} is installed; a deployment of ${names(abort)} in flight would replace it`,
      });
    return decision(base, { action: 'none', why: `${desired} is installed` });
  }
  if (same)
    return decision(base, {
      action: 'wait',
      deployment: same.id,
      abort,
      why: `a deployment of ${desired} is already ${same.status} for this device${aborting}`,
    });
  const fit = fitProblem(facts.device_type, desired, artifacts);
  if (fit) return decision(base, { action: 'fail', why: fit });
  if (failed && failed.artifact_name === desired && !retryFailed) {
    const when = failed.finished ? ` at ${failed.finished}` : '';
    return decision(base, {
      action: 'held',
      deployment: failed.deployment,
      ...(failed.finished ? { failedAt: failed.finished } : {}),
      why: `the deployment of ${desired} failed on this device${when}; not retried (set retry_failed: true to retry, or release a fix)`,
    });
  }
  return decision(base, {
    action: 'deploy',
    abort,
    why: `${from ?? 'an unknown image'} is installed, the repository wants ${desired}${aborting}`,
  });
}

/** Hosts something is written for: a deployment, or an abort of one in flight. */
export const writesFor = (d: OsDecision): boolean =>
  d.action === 'deploy' || d.action === 'abort' || ('abort' in d && d.abort.length > 0);

/** A decision that would write, for a device outside its maintenance window: nothing is written. */
export function outsideWindow(
  d: OsDecision,
  closed: { opens: string; window: string; why: string } | undefined,
): OsDecision {
  if (!closed || !writesFor(d)) return d;
  const { host, device, from, to } = d;
  return decision({ host, device, from, to }, { action: 'window', ...closed });
}

function fitProblem(deviceType: string | undefined, desired: string, artifacts: ArtifactCatalog): string | undefined {
  const types = artifacts.get(desired);
  if (!types) return `no artifact named ${desired} on the server; upload it or correct os_image`;
  if (!deviceType) return `the device reports no device_type, so no artifact can be chosen for it`;
  if (!types.has(deviceType)) {
    return `no artifact named ${desired} fits device type ${deviceType} (it exists for ${[...types].sort().join(', ')}); upload one for ${deviceType} or correct os_image for this device`;
  }
  return undefined;
}

/**
 * `--diff` of a decision that changes something (deploy, abort): the artifact installed (and the
 * deployments in flight that are aborted) against the desired artifact.
 */
export function osDiffView(
  d: OsDecision,
): { before_header: string; after_header: string; before: string; after: string } | undefined {
  if (d.action !== 'deploy' && d.action !== 'abort') return undefined;
  const inFlight = d.abort.map((a) => `deployment in flight: ${a.artifact_name} (${a.status})\n`).join('');
  return {
    before_header: `${d.device} (installed)`,
    after_header: `${d.device} (desired)`,
    before: `artifact_name: ${d.from ?? '(unknown)'}\n${inFlight}`,
    after: `artifact_name: ${d.to}\n`,
  };
}

const names = (xs: InFlight[]) => [...new Set(xs.map((x) => x.artifact_name))].join(', ');

export interface PlannedDeployment {
  name: string;
  artifact_name: string;
  devices: string[];
}

/** One deployment per artifact and per `batchSize` devices, named so a retry can find it. */
export function groupDeployments(
  decisions: OsDecision[],
  opts: { batchSize: number; name: (artifact: string, part: number, parts: number) => string },
): PlannedDeployment[] {
  const byArtifact = new Map<string, string[]>();
  for (const d of decisions) {
    if (d.action !== 'deploy') continue;
    const list = byArtifact.get(d.to) ?? [];
    list.push(d.device);
    byArtifact.set(d.to, list);
  }
  const out: PlannedDeployment[] = [];
  for (const [artifact, devices] of [...byArtifact].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...devices].sort();
    const parts = Math.ceil(sorted.length / opts.batchSize);
    for (let i = 0; i < parts; i++) {
      out.push({
        name: opts.name(artifact, i + 1, parts),
        artifact_name: artifact,
        devices: sorted.slice(i * opts.batchSize, (i + 1) * opts.batchSize),
      });
    }
  }
  return out;
}

/** What the server's cap leaves for this run's new deployments. */
export interface CapRoom {
  /** The cap (`mender_api.max_active_deployments`); 0: none. */
  cap: number;
  /** Software deployments pending or in progress on the server now. */
  active: number;
  /** Of those, the ones this run's devices wait for (the rest are from elsewhere). */
  ours: number;
}

/**
 * Keeps the new deployments within the cap: deployments are cut as `groupDeployments` cuts them
 * (per artifact, `batchSize` devices each) and taken in that order while there is room; the
 * devices of the rest are deferred to a later run, which finds room as deployments finish.
 */
export function fitCap(decisions: OsDecision[], room: CapRoom, batchSize: number): OsDecision[] {
  if (room.cap <= 0) return decisions;
  const free = Math.max(0, room.cap - room.active);
  const planned = groupDeployments(decisions, { batchSize, name: () => '' });
  if (planned.length <= free) return decisions;
  const deferred = new Set(planned.slice(free).flatMap((p) => p.devices));
  const why =
    `cap: ${room.cap} active deployments (${room.active - room.ours} from elsewhere, ${room.ours} of this fleet); ` +
    `${free} of ${planned.length} new deployments fit, the rest next run`;
  return decisions.map((d) =>
    d.action === 'deploy' && deferred.has(d.device)
      ? decision({ host: d.host, device: d.device, from: d.from, to: d.to }, { action: 'deferred' as const, why })
      : d,
  );
}

export interface AbortPlan {
  /** Deployments every active device of which we abort: one request each. */
  whole: string[];
  /** Devices to abort one by one (their deployment also serves devices we leave alone). */
  perDevice: string[];
}

/**
 * Aborting a deployment whole is one request, but it also stops devices we do not manage; so a
 * deployment is aborted whole only when every device still active in it is one we abort.
 */
export function planAborts(decisions: OsDecision[]): AbortPlan {
  const targets = new Map<string, { active: number; devices: Set<string> }>();
  for (const d of decisions) {
    if (!('abort' in d)) continue;
    for (const a of d.abort) {
      const t = targets.get(a.id) ?? { active: a.active_devices, devices: new Set<string>() };
      t.devices.add(d.device);
      targets.set(a.id, t);
    }
  }
  const whole: string[] = [];
  const perDevice = new Set<string>();
  for (const [id, t] of targets) {
    if (t.devices.size >= t.active) whole.push(id);
    else for (const dev of t.devices) perDevice.add(dev);
  }
  return { whole: whole.sort(), perDevice: [...perDevice].sort() };
}

/**
 * A per-device abort stops every active deployment of the device, including one of the right
 * artifact we meant to leave alone: such a device must be deployed again.
 */
export function redeployAfterAbort(decisions: OsDecision[], plan: AbortPlan): OsDecision[] {
  const hit = new Set(plan.perDevice);
  return decisions.map((d) =>
    d.action === 'wait' && hit.has(d.device)
      ? {
          ...d,
          action: 'deploy' as const,
          why: `${d.why}; aborting the device's deployments also stops that one, so ${d.to} is deployed again`,
        }
      : d,
  );
}
