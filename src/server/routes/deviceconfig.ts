/** Device configuration management API (Mender's "configure" add-on). */
import { z } from 'zod';
import type { App } from '../app.js';
import { fail, parseBody } from '../http.js';
import { deviceConfiguration } from '../views.js';

const V1 = '/api/management/v1/deviceconfig/configurations/device';
const Configuration = z.record(z.string(), z.string({ error: 'configuration values must be strings' }));
const DeployBody = z.object({
  retries: z.number().int().nonnegative().optional(),
  update_control_map: z.record(z.string(), z.unknown()).optional(),
});

export function deviceconfigRoutes(app: App): void {
  const r = app.router;
  r.add('GET', `${V1}/:id`, 'management', (ctx) => {
    const id = ctx.params.id;
    const detached = app.state.detachedConfigs.get(id);
    const d = app.state.devices.get(id) ?? (detached && { id, config: detached });
    if (!d) return fail(404, 'Device not found', ctx);
    return { status: 200, body: deviceConfiguration(d) };
  });
  // Like Mender's deviceconfig (an upsert), a configuration for an unknown device is kept: 204, never 404.
  r.add('PUT', `${V1}/:id`, 'management', async (ctx) => {
    const body = parseBody(Configuration, ctx);
    if (!body.ok) return body.reply;
    await app.commit({ t: 'config.set', id: ctx.params.id, configured: body.value, ts: app.now() });
    return { status: 204 };
  });
  r.add('POST', `${V1}/:id/deploy`, 'management', async (ctx) => {
    const body = parseBody(DeployBody, { ...ctx, body: ctx.body ?? {} });
    if (!body.ok) return body.reply;
    const d = app.state.devices.get(ctx.params.id);
    if (!d) return fail(404, 'Device not found', ctx);
    const id = app.newId();
    const configuration = JSON.stringify(d.config?.configured ?? {});
    await app.commit({
      t: 'deploy',
      id,
      name: d.id,
      artifact: `configuration-${id}`,
      kind: 'configuration',
      devices: [d.id],
      configuration,
      ts: app.now(),
    });
    return { status: 200, body: { deployment_id: id } };
  });
}
