/** Inventory management API: v1 devices and groups, v2 filters/search. */
import { z } from 'zod';
import type { App } from '../app.js';
import { fail, linkHeader, pagedReply, paging, parseBody, type Ctx, type Reply } from '../http.js';
import type { Device } from '../model.js';
import { checkPredicates, search, SearchParamsSchema } from '../search.js';
import { inventoryDevice } from '../views.js';

const V1 = '/api/management/v1/inventory';
const GROUP_NAME = /^[A-Za-z0-9_-]+$/;
const GroupBody = z.strictObject({
  group: z.string().regex(GROUP_NAME, 'group name may contain only letters, digits, _ and -'),
});
const IdList = z.array(z.string());

export function inventoryRoutes(app: App): void {
  const r = app.router;
  r.add('GET', `${V1}/devices`, 'management', (ctx) => listDevices(app, ctx));
  r.add('GET', `${V1}/devices/:id`, 'management', (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    if (!d) return fail(404, 'Device not found', ctx);
    return { status: 200, body: inventoryDevice(app.state, d, app.now()) };
  });
  r.add('GET', `${V1}/devices/:id/group`, 'management', (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    if (!d) return fail(404, 'Device not found', ctx);
    if (!d.group) return fail(404, 'Device has no group', ctx);
    return { status: 200, body: { group: d.group } };
  });
  r.add('PUT', `${V1}/devices/:id/group`, 'management', async (ctx) => {
    const body = parseBody(GroupBody, ctx);
    if (!body.ok) return body.reply;
    if (!app.state.devices.has(ctx.params.id)) return fail(404, 'Device not found', ctx);
    await app.commit({ t: 'group', id: ctx.params.id, group: body.value.group, ts: app.now() });
    return { status: 204 };
  });
  r.add('DELETE', `${V1}/devices/:id/group/:name`, 'management', async (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    if (!d || d.group !== ctx.params.name) return fail(404, 'Device not found in group', ctx);
    await app.commit({ t: 'group', id: d.id, group: null, ts: app.now() });
    return { status: 204 };
  });
  r.add('GET', `${V1}/groups`, 'management', () => ({
    status: 200,
    body: app.state.index.values('system', 'group').sort(),
  }));
  r.add('GET', `${V1}/groups/:name/devices`, 'management', (ctx) => {
    const p = paging(ctx, 10, 500);
    if (!p.ok) return p.reply;
    const ids = [...(app.state.index.lookup('system', 'group', [ctx.params.name]) ?? [])];
    if (ids.length === 0) return fail(404, 'group not found', ctx);
    return pagedReply(ctx, p.value, ids, (id) => id);
  });
  r.add('PATCH', `${V1}/groups/:name/devices`, 'management', (ctx) => bulkGroup(app, ctx, ctx.params.name));
  r.add('DELETE', `${V1}/groups/:name/devices`, 'management', (ctx) => bulkGroup(app, ctx, null));
  r.add('POST', '/api/management/v2/inventory/filters/search', 'management', (ctx) => searchDevices(app, ctx));
}

function listDevices(app: App, ctx: Ctx): Reply {
  const p = paging(ctx, 10, 500);
  if (!p.ok) return p.reply;
  const hasGroup = ctx.query.get('has_group');
  if (hasGroup !== null && hasGroup !== 'true' && hasGroup !== 'false')
    return fail(400, 'has_group must be true or false', ctx);
  const group = ctx.query.get('group');
  let devices: Device[] = [...app.state.devices.values()];
  if (group !== null) devices = devices.filter((d) => d.group === group);
  if (hasGroup !== null) devices = devices.filter((d) => (d.group !== undefined) === (hasGroup === 'true'));
  const sort = ctx.query.get('sort');
  if (sort) {
    const m = /^([a-zA-Z0-9_.-]+)(?::(asc|desc))?$/.exec(sort);
    if (!m) return fail(400, 'invalid sort: write attribute[:asc|desc]', ctx);
    const key = m[1];
    const dir = m[2] === 'desc' ? -1 : 1;
    const v = (d: Device) => String(d.inventory[key] ?? '');
    devices = devices.sort((a, b) => (v(a) < v(b) ? -dir : v(a) > v(b) ? dir : 0));
  }
  const now = app.now();
  return pagedReply(ctx, p.value, devices, (d) => inventoryDevice(app.state, d, now));
}

async function bulkGroup(app: App, ctx: Ctx, group: string | null): Promise<Reply> {
  const body = parseBody(IdList, ctx);
  if (!body.ok) return body.reply;
  if (group !== null && !GROUP_NAME.test(group))
    return fail(400, 'group name may contain only letters, digits, _ and -', ctx);
  const ts = app.now();
  const from = ctx.params.name;
  const matched = body.value.filter((id) => app.state.devices.has(id));
  const changing = matched.filter((id) =>
    group === null ? app.state.devices.get(id)!.group === from : app.state.devices.get(id)!.group !== group,
  );
  await app.commit(...changing.map((id) => ({ t: 'group' as const, id, group, ts })));
  return {
    status: 200,
    body:
      group === null
        ? { updated_count: changing.length }
        : { updated_count: changing.length, matched_count: matched.length },
  };
}

function searchDevices(app: App, ctx: Ctx): Reply {
  const body = parseBody(SearchParamsSchema, { ...ctx, body: ctx.body ?? {} });
  if (!body.ok) return body.reply;
  const bad = checkPredicates(body.value.filters);
  if (bad) return fail(400, bad, ctx);
  const now = app.now();
  const found = search(app.state, now, body.value);
  const p = { page: body.value.page, perPage: body.value.per_page };
  return {
    status: 200,
    body: found.page.map((d) => inventoryDevice(app.state, d, now, body.value.attributes)),
    headers: { 'X-Total-Count': String(found.total), Link: linkHeader(ctx, p, found.total, false) },
  };
}
