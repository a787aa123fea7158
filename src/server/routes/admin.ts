/**
 * Admin API of the embedded server (not part of Mender): clock, faults, request log (and its
 * tally), the active deployments against the cap, and the full simulated state of a device.
 * Registered only with an admin token (`--admin-token`), and authenticated with that token alone:
 * a management token must not move the clock or inject faults.
 */
import { z } from 'zod';
import type { App } from '../app.js';
import { fail, iso, parseBody } from '../http.js';
import { FaultSpecSchema } from '../faults.js';
import { checkInTime } from '../sim.js';
import type { Device } from '../model.js';

const A = '/api/admin/v1';
const Advance = z.strictObject({ seconds: z.number().nonnegative() });
const DevicePatch = z.strictObject({
  online: z.boolean().optional(),
  /** Plan failures for every software deployment to this device. */
  fail: z.boolean().optional(),
  /** Device-reported inventory attributes (e.g. subscribed_branch); null removes one. */
  attributes: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]))
    .optional(),
});

export function adminRoutes(app: App): void {
  const r = app.router;
  r.add('POST', `${A}/clock/advance`, 'admin', async (ctx) => {
    const body = parseBody(Advance, ctx);
    if (!body.ok) return body.reply;
    if (app.clock.kind !== 'manual')
      return fail(409, 'the clock is real: start the server with --clock manual to advance it', ctx);
    app.record({ t: 'clock', now: app.state.now + body.value.seconds * 1000 });
    const steps = app.advanceSimulation();
    await app.commit();
    return { status: 200, body: { now: iso(app.now()), steps } };
  });
  r.add('GET', `${A}/clock`, 'admin', () => ({ status: 200, body: { now: iso(app.now()), kind: app.clock.kind } }));
  r.add('PUT', `${A}/faults`, 'admin', (ctx) => {
    const body = parseBody(FaultSpecSchema, { ...ctx, body: ctx.body ?? {} });
    if (!body.ok) return body.reply;
    app.faults.set(body.value);
    return { status: 200, body: app.faults.current };
  });
  r.add('GET', `${A}/faults`, 'admin', () => ({ status: 200, body: app.faults.current ?? null }));
  r.add('DELETE', `${A}/faults`, 'admin', () => {
    app.faults.set(undefined);
    return { status: 204 };
  });
  r.add('GET', `${A}/requests`, 'admin', () => ({ status: 200, body: app.requests.entries }));
  r.add('GET', `${A}/requests/tally`, 'admin', () => ({ status: 200, body: app.requests.tally }));
  r.add('GET', `${A}/deployments/active`, 'admin', () => {
    const active = app.state.activeSoftwareDeployments();
    // A state restored from a journal or snapshot did not count its deployments' creates.
    const peak = Math.max(app.state.peakActiveSoftware, active);
    return { status: 200, body: { cap: app.maxActiveDeployments, active, peak } };
  });
  r.add('DELETE', `${A}/requests`, 'admin', () => {
    app.requests.clear();
    return { status: 204 };
  });
  r.add('GET', `${A}/devices/:id`, 'admin', (ctx) => {
    const d = app.state.devices.get(ctx.params.id);
    return d ? { status: 200, body: simulatedDevice(app, d) } : fail(404, 'Device not found', ctx);
  });
  r.add('PUT', `${A}/devices/:id`, 'admin', async (ctx) => {
    const body = parseBody(DevicePatch, ctx);
    if (!body.ok) return body.reply;
    const d = app.state.devices.get(ctx.params.id);
    if (!d) return fail(404, 'Device not found', ctx);
    await app.commit({ t: 'device.admin', id: d.id, ...body.value, ts: app.now() });
    return { status: 200, body: simulatedDevice(app, d) };
  });
}

function simulatedDevice(app: App, d: Device) {
  return {
    id: d.id,
    name: d.name,
    auth_status: d.auth,
    online: d.online,
    fail: d.fail,
    group: d.group ?? null,
    inventory: d.inventory,
    identity: d.identity,
    check_in_time: iso(checkInTime(app.state, d, app.now())),
    configuration: d.config
      ? {
          configured: d.config.configured,
          reported: d.config.reported ?? null,
          reported_ts: iso(d.config.reportedTs) ?? null,
        }
      : null,
    deployments: d.history.map((dd) => ({
      deployment_id: dd.deployment.id,
      artifact_name: dd.deployment.artifactName,
      type: dd.deployment.type,
      status: dd.status,
      next_step_at: iso(dd.nextAt) ?? null,
    })),
  };
}
