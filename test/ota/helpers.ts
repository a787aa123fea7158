/** The embedded server for OTA tests, with its admin API (faults, request log) at hand. */
import { randomBytes } from 'node:crypto';
import { startServer, type FaultSpec, type FleetSpec } from '../../src/server/index.js';
import { MenderClient, type ClientOptions } from '../../src/ota/client.js';

export const TOKEN = 'test-pat-0123456789abcdef';
/** The admin API's own token, fresh per process. */
export const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;

export interface TestServer {
  url: string;
  close(): Promise<void>;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  faults(spec: FaultSpec | undefined): Promise<void>;
  /** Management requests the server saw (method, path, status, when answered), oldest first. */
  requests(): Promise<
    { method: string; path: string; status: number; query: Record<string, unknown>; body: unknown; time: string }[]
  >;
  client(opts?: ClientOptions & { token?: string }): MenderClient;
}

export const SAMPLE_SPEC: FleetSpec = {
  artifacts: [
    { name: 'os-1.0', device_types_compatible: ['raspberrypi4', 'raspberrypi3'] },
    { name: 'os-1.1', device_types_compatible: ['raspberrypi4', 'raspberrypi3'] },
    { name: 'os-1.1', device_types_compatible: ['imx8mm'] },
    { name: 'os-0.9', device_types_compatible: ['raspberrypi4'] },
  ],
  devices: [
    {
      id: 'dev-rpi4-a',
      device_type: 'raspberrypi4',
      artifact_name: 'os-1.0',
      attributes: { subscribed_branch: 'canary' },
    },
    { id: 'dev-rpi4-b', device_type: 'raspberrypi4', artifact_name: 'os-1.1' },
    { id: 'dev-rpi3', device_type: 'raspberrypi3', artifact_name: 'os-1.0' },
    { id: 'dev-rpi2', device_type: 'raspberrypi2', artifact_name: 'os-1.0' },
    { id: 'dev-imx8', device_type: 'imx8mm', artifact_name: 'os-1.0' },
  ],
};

export async function testServer(
  opts: { spec?: FleetSpec; devices?: number; users?: { email: string; password: string }[] } = {},
): Promise<TestServer> {
  const s = await startServer({
    memory: true,
    clock: 'manual',
    tokens: [TOKEN],
    adminToken: ADMIN_TOKEN,
    spec: opts.spec ?? SAMPLE_SPEC,
    devices: opts.devices,
    users: opts.users,
  });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${s.url}/api/admin/v1/${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  const clients: MenderClient[] = [];
  return {
    url: s.url,
    admin,
    faults: async (spec) => {
      if (spec) await admin('PUT', 'faults', spec);
      else await admin('DELETE', 'faults');
    },
    requests: () => admin('GET', 'requests'),
    client: (o = {}) => {
      const c = new MenderClient(
        { url: s.url, auth: { kind: 'token', token: o.token ?? TOKEN } },
        { baseDelayMs: 5, maxDelayMs: 50, ...o },
      );
      clients.push(c);
      return c;
    },
    close: async () => {
      for (const c of clients) c.close();
      await s.close();
    },
  };
}

export function value<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(`expected ok, got: ${r.error.message}`);
  return r.value;
}
