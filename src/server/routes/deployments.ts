/** Deployments management API: create, list (v1/v2), abort, statistics, device deployments, artifacts, releases. */
import { z } from 'zod';
import type { App } from '../app.js';
import { fail, lenientPaging, pagedReply, paging, parseBody, type Ctx, type Reply } from '../http.js';
import { FINISHED, type Artifact, type Deployment, type DeviceDeployment } from '../model.js';
import { deviceIdFor } from '../spec.js';
import { artifactV1, deployment, deploymentStatus, deploymentLog, deploymentV2, deviceWithImage } from '../views.js';
import { NewPhase, resolvePhases } from './phases.js';

const V1 = '/api/management/v1/deployments';
/** `retries` and `phases` are Mender Enterprise's (professional and enterprise plans). */
const Enterprise = {
  retries: z.number().int().nonnegative().optional(),
  phases: z.array(NewPhase).min(1).optional(),
};
const NewDeployment = z.object({
  name: z.string().min(1),
  artifact_name: z.string().min(1),
  devices: z.array(z.string().min(1)).optional(),
  all_devices: z.boolean().optional(),
  force_installation: z.boolean().optional(),
  ...Enterprise,
});
const NewGroupDeployment = z.object({
  name: z.string().min(1),
  artifact_name: z.string().min(1),
  force_installation: z.boolean().optional(),
  ...Enterprise,
});
type Create = z.infer<typeof NewGroupDeployment>;

/**
 * Hosted Mender's answer when a tenant's active deployments are at the cap. Its enforcement is in
 * Mender's closed Enterprise code; this follows how the open services answer a tenant limit
 * (deviceauth: 422 "maximum number of accepted devices reached") — an assumption, see docs/server.md.
 */
export const CAP_ERROR = 'maximum number of active deployments reached';
const Abort = z.object({ status: z.literal('aborted') });
const Ids = z.object({ deployment_ids: z.array(z.string()).min(1) });
const DD_FILTERS = new Set([
  'failure',
  'aborted',
  'pause_before_installing',
  'pause_before_committing',
  'pause_before_rebooting',
  'downloading',
  'installing',
  'rebooting',
  'pending',
  'success',
  'noartifact',
  'already-installed',
  'decommissioned',
  'pause',
  'active',
  'finished',
]);

export function deploymentRoutes(app: App): void {
  const r = app.router;
  r.add('POST', `${V1}/deployments`, 'management', (ctx) => createDeployment(app, ctx));
  r.add('POST', `${V1}/deployments/group/:name`, 'management', (ctx) => createGroupDeployment(app, ctx));
  r.add('GET', `${V1}/deployments`, 'management', (ctx) => listDeployments(app, ctx, 'v1'));
  r.add('GET', '/api/management/v2/deployments/deployments', 'management', (ctx) => listDeployments(app, ctx, 'v2'));
  r.add('GET', `${V1}/deployments/:id`, 'management', (ctx) =>
    withDeployment(app, ctx, (dep) => ({ status: 200, body: deployment(app.state, dep) })),
  );
  r.add('PUT', `${V1}/deployments/:id/status`, 'management', (ctx) => abortDeployment(app, ctx));
  r.add('GET', `${V1}/deployments/:id/statistics`, 'management', (ctx) =>
    withDeployment(app, ctx, (dep) => ({ status: 200, body: { ...dep.stats } })),
  );
  r.add('POST', `${V1}/deployments/statistics/list`, 'management', (ctx) => statisticsList(app, ctx));
  r.add('GET', `${V1}/deployments/:id/devices`, 'management', (ctx) =>
    withDeployment(app, ctx, (dep) => ({
      status: 200,
      body: [...dep.devices.values()].map((dd) => deviceWithImage(app.state, dd)),
    })),
  );
  r.add('GET', `${V1}/deployments/:id/devices/list`, 'management', (ctx) => deploymentDevices(app, ctx));
  r.add('GET', `${V1}/deployments/:id/devices/:device/log`, 'management', (ctx) =>
    withDeployment(app, ctx, (dep) => {
      const dd = dep.devices.get(ctx.params.device);
      const text = dd ? deploymentLog(app.state.devices.get(dd.deviceId), dd) : undefined;
      return text === undefined ? fail(404, 'Deployment log not found', ctx) : { status: 200, text };
    }),
  );
  r.add('GET', `${V1}/deployments/:id/device_list`, 'management', (ctx) =>
    withDeployment(app, ctx, (dep) => ({ status: 200, body: [...dep.devices.keys()] })),
  );
  r.add('GET', `${V1}/deployments/devices/:id`, 'management', (ctx) => deviceHistory(app, ctx));
  r.add('DELETE', `${V1}/deployments/devices/:id`, 'management', async (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    if (d && d.queue.length) await app.commit({ t: 'device.abort', id: d.id, ts: app.now() });
    return { status: 204 };
  });
  r.add('GET', `${V1}/artifacts`, 'management', (ctx) => ({
    status: 200,
    body: filterArtifacts(app, ctx).map(artifactV1),
  }));
  r.add('GET', `${V1}/artifacts/list`, 'management', (ctx) => artifactList(app, ctx));
  r.add('GET', `${V1}/deployments/releases`, 'management', (ctx) => ({
    status: 200,
    body: releases(app, ctx).map(releaseV1),
  }));
  r.add('GET', `${V1}/deployments/releases/list`, 'management', (ctx) => releaseList(app, ctx, releaseV1));
  r.add('GET', '/api/management/v2/deployments/deployments/releases', 'management', (ctx) =>
    releaseList(app, ctx, releaseV2),
  );
}

function withDeployment(app: App, ctx: Ctx, f: (dep: Deployment) => Reply | Promise<Reply>): Reply | Promise<Reply> {
  const dep = app.state.deployments.get(ctx.params.id);
  return dep ? f(dep) : fail(404, 'Deployment not found', ctx);
}

async function create(app: App, ctx: Ctx, d: Create, devices: string[], groups?: string[]): Promise<Reply> {
  // Mender refuses a deployment whose artifact it does not know: 422.
  if (!app.state.artifacts.some((a) => a.name === d.artifact_name))
    return fail(422, 'No artifact for the deployment', ctx);
  const cap = app.maxActiveDeployments;
  if (cap > 0 && app.state.activeSoftwareDeployments() >= cap) return fail(422, CAP_ERROR, ctx);
  const phases = d.phases && resolvePhases(d.phases, devices.length, app.now(), () => app.newId());
  if (phases && !phases.ok) return fail(400, phases.error, ctx);
  const id = app.newId();
  await app.commit({
    t: 'deploy',
    id,
    name: d.name,
    artifact: d.artifact_name,
    kind: 'software',
    devices,
    groups,
    force: d.force_installation,
    ...(d.retries ? { retries: d.retries } : {}),
    ...(phases ? { phases: phases.value } : {}),
    ts: app.now(),
  });
  return { status: 201, headers: { Location: `${V1}/deployments/${id}` } };
}

async function createDeployment(app: App, ctx: Ctx): Promise<Reply> {
  const body = parseBody(NewDeployment, ctx);
  if (!body.ok) return body.reply;
  const b = body.value;
  if (b.all_devices && b.devices?.length)
    return fail(400, 'Invalid deployments definition: list of devices provided together with all_devices flag', ctx);
  if (!b.all_devices && !b.devices?.length)
    return fail(400, 'Invalid deployments definition: provide list of devices or set all_devices flag', ctx);
  const devices = b.all_devices
    ? [...app.state.devices.values()].filter((d) => d.auth === 'accepted').map((d) => d.id)
    : [...new Set(b.devices)];
  return create(app, ctx, b, devices);
}

async function createGroupDeployment(app: App, ctx: Ctx): Promise<Reply> {
  const body = parseBody(NewGroupDeployment, ctx);
  if (!body.ok) return body.reply;
  const ids = [...(app.state.index.lookup('system', 'group', [ctx.params.name]) ?? [])].filter(
    (id) => app.state.devices.get(id)!.auth === 'accepted',
  );
  if (ids.length === 0) return fail(400, 'No devices for the deployment', ctx);
  return create(app, ctx, body.value, ids, [ctx.params.name]);
}

function listDeployments(app: App, ctx: Ctx, version: 'v1' | 'v2'): Reply {
  const p = paging(ctx, 20, 500);
  if (!p.ok) return p.reply;
  const q = ctx.query;
  const status = q.get('status');
  if (status !== null && !['inprogress', 'finished', 'pending'].includes(status))
    return fail(400, 'invalid status query: write inprogress, finished or pending', ctx);
  const type = q.get('type');
  if (type !== null && type !== 'software' && type !== 'configuration')
    return fail(400, 'invalid type query: write software or configuration', ctx);
  const sort = q.get('sort') ?? 'desc';
  if (sort !== 'asc' && sort !== 'desc') return fail(400, 'invalid sort query: write asc or desc', ctx);
  const before = q.get('created_before');
  const after = q.get('created_after');
  if ([before, after].some((v) => v !== null && !/^\d+$/.test(v)))
    return fail(400, 'created_before/created_after must be Unix timestamps', ctx);
  // As in Mender: v1 filters by `search` only, v2 by repeated `id`/`name` only; the other version ignores them.
  const ids = new Set(version === 'v2' ? q.getAll('id') : []);
  const names = new Set(version === 'v2' ? q.getAll('name') : []);
  const text = version === 'v1' ? q.get('search') : null;
  let list = app.state.deploymentOrder.filter(
    (d) =>
      (status === null || deploymentStatus(d) === status) &&
      (type === null || d.type === type) &&
      (before === null || d.created <= Number(before) * 1000) &&
      (after === null || d.created >= Number(after) * 1000) &&
      (ids.size === 0 || ids.has(d.id)) &&
      (names.size === 0 || names.has(d.name)) &&
      (text === null || d.name.includes(text) || d.id === text),
  );
  if (sort === 'desc') list = [...list].reverse();
  return pagedReply(ctx, p.value, list, (d) =>
    version === 'v2' ? deploymentV2(app.state, d) : deployment(app.state, d),
  );
}

async function abortDeployment(app: App, ctx: Ctx): Promise<Reply> {
  const body = parseBody(Abort, ctx);
  if (!body.ok) return body.reply;
  return withDeployment(app, ctx, async (dep) => {
    if (dep.unfinished === 0) return fail(422, 'Deployment already finished', ctx);
    await app.commit({ t: 'abort', id: dep.id, ts: app.now() });
    return { status: 204 };
  });
}

function statisticsList(app: App, ctx: Ctx): Reply {
  const body = parseBody(Ids, ctx);
  if (!body.ok) return body.reply;
  const found = body.value.deployment_ids
    .map((id) => app.state.deployments.get(id))
    .filter((d): d is Deployment => d !== undefined);
  if (found.length === 0) return fail(404, 'Deployments not found', ctx);
  return { status: 200, body: found.map((d) => ({ id: d.id, stats: { ...d.stats } })) };
}

function statusFilter(ctx: Ctx): { ok: true; test: (dd: DeviceDeployment) => boolean } | { ok: false; reply: Reply } {
  const s = ctx.query.get('status');
  if (s === null) return { ok: true, test: () => true };
  if (!DD_FILTERS.has(s)) return { ok: false, reply: fail(400, `invalid status query: ${s}`, ctx) };
  if (s === 'active') return { ok: true, test: (dd) => !FINISHED.has(dd.status) };
  if (s === 'finished') return { ok: true, test: (dd) => FINISHED.has(dd.status) };
  if (s === 'pause') return { ok: true, test: (dd) => dd.status.startsWith('pause') };
  return { ok: true, test: (dd) => dd.status === s };
}

function deploymentDevices(app: App, ctx: Ctx): Reply | Promise<Reply> {
  return withDeployment(app, ctx, (dep) => {
    const p = paging(ctx, 20, 500);
    if (!p.ok) return p.reply;
    const f = statusFilter(ctx);
    if (!f.ok) return f.reply;
    const list = [...dep.devices.values()].filter(f.test);
    return pagedReply(ctx, p.value, list, (dd) => deviceWithImage(app.state, dd));
  });
}

function deviceHistory(app: App, ctx: Ctx): Reply {
  const p = paging(ctx, 20, 20);
  if (!p.ok) return p.reply;
  const f = statusFilter(ctx);
  if (!f.ok) return f.reply;
  const d = app.state.devices.get(ctx.params.id);
  const list = (d?.history ?? []).filter(f.test).reverse();
  return pagedReply(
    ctx,
    p.value,
    list,
    (dd) => ({
      id: deviceIdFor(`dd:${dd.deployment.id}:${dd.deviceId}`),
      deployment: deployment(app.state, dd.deployment),
      device: deviceWithImage(app.state, dd),
    }),
    false,
  );
}

function filterArtifacts(app: App, ctx: Ctx): Artifact[] {
  const name = ctx.query.get('name');
  const description = ctx.query.get('description');
  const type = ctx.query.get('device_type');
  return app.state.artifacts.filter(
    (a) =>
      (name === null || a.name === name) &&
      (description === null || (a.description ?? '').includes(description)) &&
      (type === null || a.device_types_compatible.includes(type)),
  );
}

/**
 * `sort=field:dir` as Mender's artifact and release listings read it: an unknown field sorts by
 * name, any direction but `desc` is ascending; never a 400 (the spec declares none).
 */
function lenientSort<K extends string>(ctx: Ctx, fields: readonly K[]): { field: K | 'name'; dir: 1 | -1 } {
  const [field = '', dir = ''] = (ctx.query.get('sort') ?? '').split(':', 2);
  return { field: (fields as readonly string[]).includes(field) ? (field as K) : 'name', dir: dir === 'desc' ? -1 : 1 };
}

function artifactList(app: App, ctx: Ctx): Reply {
  const { field, dir } = lenientSort(ctx, ['name', 'modified'] as const);
  const list = filterArtifacts(app, ctx).sort((a, b) => (a[field] < b[field] ? -dir : a[field] > b[field] ? dir : 0));
  return pagedReply(ctx, lenientPaging(ctx, 20, 500), list, artifactV1);
}

interface Release {
  name: string;
  artifacts: Artifact[];
  modified: number;
}

function releases(app: App, ctx: Ctx): Release[] {
  const byName = new Map<string, Release>();
  for (const a of filterArtifacts(app, ctx)) {
    const r = byName.get(a.name) ?? { name: a.name, artifacts: [], modified: 0 };
    r.artifacts.push(a);
    r.modified = Math.max(r.modified, a.modified);
    byName.set(a.name, r);
  }
  return [...byName.values()];
}

const releaseV1 = (r: Release) => ({
  Name: r.name,
  Artifacts: r.artifacts.map(artifactV1),
  ArtifactsCount: r.artifacts.length,
  modified: new Date(r.modified).toISOString(),
  tags: [] as string[],
});
const releaseV2 = (r: Release) => ({
  name: r.name,
  artifacts: r.artifacts.map(artifactV1),
  modified: new Date(r.modified).toISOString(),
  tags: [] as string[],
});

function releaseList(app: App, ctx: Ctx, view: (r: Release) => unknown): Reply {
  // Releases carry no tags here, so sorting by tags sorts by name.
  const { field, dir } = lenientSort(ctx, ['name', 'modified', 'artifacts_count'] as const);
  const key = (r: Release): string | number =>
    field === 'modified' ? r.modified : field === 'artifacts_count' ? r.artifacts.length : r.name;
  const list = releases(app, ctx).sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : 0));
  return pagedReply(ctx, lenientPaging(ctx, 20, 500), list, view);
}
