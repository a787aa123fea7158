/** Device authentication management API v2: devices with their auth status, accept/reject, preauthorize. */
import { z } from 'zod';
import type { App } from '../app.js';
import { fail, pagedReply, paging, parseBody } from '../http.js';
import type { AuthStatus } from '../model.js';
import { devauthDevice } from '../views.js';

const V2 = '/api/management/v2/devauth/devices';
const STATUSES = new Set<AuthStatus>(['pending', 'accepted', 'rejected', 'preauthorized', 'noauth']);
const StatusBody = z.object({ status: z.enum(['pending', 'accepted', 'rejected', 'preauthorized']) });
const PreAuth = z.object({
  identity_data: z.record(z.string(), z.string()),
  pubkey: z.string().min(1),
  force: z.boolean().optional(),
});

export function devauthRoutes(app: App): void {
  const r = app.router;
  r.add('GET', V2, 'management', (ctx) => {
    const p = paging(ctx, 20, 500);
    if (!p.ok) return p.reply;
    const status = ctx.query.get('status');
    if (status !== null && !STATUSES.has(status as AuthStatus))
      return fail(400, `invalid status query: ${status}`, ctx);
    const ids = new Set(ctx.query.getAll('id'));
    const list = [...app.state.devices.values()].filter(
      (d) => (status === null || d.auth === status) && (ids.size === 0 || ids.has(d.id)),
    );
    const now = app.now();
    return pagedReply(ctx, p.value, list, (d) => devauthDevice(app.state, d, now));
  });
  r.add('GET', `${V2}/count`, 'management', (ctx) => {
    const status = ctx.query.get('status');
    if (status !== null && !STATUSES.has(status as AuthStatus))
      return fail(400, `invalid status query: ${status}`, ctx);
    let count = 0;
    for (const d of app.state.devices.values()) if (status === null || d.auth === status) count++;
    return { status: 200, body: { count } };
  });
  r.add('GET', `${V2}/:id`, 'management', (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    return d ? { status: 200, body: devauthDevice(app.state, d, app.now()) } : fail(404, 'Device not found', ctx);
  });
  r.add('GET', `${V2}/:id/auth/:aid/status`, 'management', (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    if (!d || d.authSetId !== ctx.params.aid) return fail(404, 'Device not found', ctx);
    return { status: 200, body: { status: d.auth } };
  });
  r.add('PUT', `${V2}/:id/auth/:aid/status`, 'management', async (ctx) => {
    const body = parseBody(StatusBody, ctx);
    if (!body.ok) return body.reply;
    const d = app.state.devices.get(ctx.params.id);
    if (!d || d.authSetId !== ctx.params.aid) return fail(404, 'Device not found', ctx);
    await app.commit({ t: 'auth', id: d.id, status: body.value.status, ts: app.now() });
    return { status: 204 };
  });
  r.add('POST', V2, 'management', async (ctx) => {
    const body = parseBody(PreAuth, ctx);
    if (!body.ok) return body.reply;
    const key = JSON.stringify(sorted(body.value.identity_data));
    const existing = [...app.state.devices.values()].find((d) => JSON.stringify(sorted(d.identity)) === key);
    if (existing) return { status: 409, body: devauthDevice(app.state, existing, app.now()) };
    const id = app.newId();
    await app.commit({
      t: 'preauth',
      id,
      identity: body.value.identity_data,
      pubkey: body.value.pubkey,
      ts: app.now(),
    });
    return { status: 201, headers: { Location: `${V2}/${id}` } };
  });
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
