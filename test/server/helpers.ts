/** Shared by the server tests: a running server and an API caller that checks every response against the spec. */
import { randomBytes } from 'node:crypto';
import { startServer, type FleetSpec, type StartOptions } from '../../src/server/index.js';
import { MenderContract } from './contract.js';

export const TOKEN = 'test-token-0123456789';
/** The admin API's own token: a fresh one per process, so no test can lean on a known value. */
export const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;
export const contract = new MenderContract();

export interface Call {
  status: number;
  body: unknown;
  headers: Headers;
  /** Contract violations (empty when the response matches the spec). */
  violations: string[];
  template?: string;
}

export async function testServer(spec: FleetSpec, opts: StartOptions = {}) {
  const server = await startServer({
    memory: true,
    clock: 'manual',
    tokens: [TOKEN],
    adminToken: ADMIN_TOKEN,
    spec,
    ...opts,
  });
  const covered = new Set<string>();
  const api = async (
    method: string,
    path: string,
    body?: unknown,
    o: { token?: string | null; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Call> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? TOKEN : o.token;
    if (token !== null && !headers.Authorization) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined || o.raw !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(server.url + path, {
      method,
      headers,
      body: o.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? (JSON.parse(text) as unknown) : text || undefined;
    const pathOnly = path.split('?')[0];
    if (!pathOnly.startsWith('/api/management/'))
      return { status: res.status, body: parsed, headers: res.headers, violations: [] };
    const c = contract.check(method, pathOnly, res.status, parsed, res.headers);
    if (c.template) covered.add(`${method} ${c.template} ${res.status}`);
    return { status: res.status, body: parsed, headers: res.headers, violations: c.errors, template: c.template };
  };
  const admin = (method: string, path: string, body?: unknown) =>
    api(method, `/api/admin/v1${path}`, body, { token: ADMIN_TOKEN });
  return { server, api, admin, covered, close: () => server.close() };
}
