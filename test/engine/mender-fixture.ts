/**
 * The recorded Ansible + Mender fixture (test/fixtures/mender, recorded by generate.mjs there):
 * its scenarios, and a fleetplay run of one of its playbooks against the embedded server with
 * the requests the server logged, named as the recording names them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runPlaybook, type RunOptions } from '../../src/engine/run.js';
import { startServer } from '../../src/server/index.js';
import type { FleetSpec } from '../../src/server/spec.js';

export const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mender');
export const TOKEN = 'fixture-token-0123456789';
const ADMIN_TOKEN = 'fixture-admin-token-0123456789';

export interface Request {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
}
export interface Recorded {
  rc: number;
  stats: Record<string, { ok: number; changed: number; failures: number; skipped: number }>;
  recap: string[];
  requests: Request[];
}
type Scenario = { attributes: Record<string, Record<string, string | string[]>>; playbook?: string };

export const expected = (
  JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { scenarios: Record<string, Recorded> }
).scenarios;
export const scenarios = JSON.parse(readFileSync(join(dir, 'scenarios.json'), 'utf8')) as Record<string, Scenario>;
type SpecDevice = NonNullable<FleetSpec['devices']>[number] & {
  id: string;
  attributes?: Record<string, string | string[]>;
};
const baseSpec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as Omit<FleetSpec, 'devices'> & {
  devices: SpecDevice[];
};
export const HOSTS = baseSpec.devices.map((d) => d.id);

/** spec.json with a scenario's attribute overrides (per device id), as generate.mjs seeds it. */
function specOf(name: string): FleetSpec {
  const over = scenarios[name].attributes;
  return {
    ...baseSpec,
    devices: baseSpec.devices.map((d) => ({ ...d, attributes: { ...d.attributes, ...over[d.id] } })),
  };
}

export const key = (q: Request) => JSON.stringify([q.method, q.path, q.query, q.body, q.status]);
/** Hosts run concurrently in both tools: the requests of one task interleave, so compare a multiset. */
export const multiset = (qs: Request[]) => qs.map(key).sort();
export const isRead = (q: Request) => q.method === 'GET';

/** The lines under "PLAY RECAP" up to the blank line that ends it. */
export function recapLines(text: string): string[] {
  const lines = text.split('\n');
  const after = lines.slice(lines.findIndex((l) => l.startsWith('PLAY RECAP')) + 1);
  return after.slice(0, after.indexOf(''));
}

/**
 * Runs the scenario's playbook (or `playbook`, a text, from a temp folder) with
 * fleetplay against a fresh embedded server; deployment ids read `<deployment NAME>`.
 */
export async function runFixture(
  scenario: string,
  mode: 'run' | 'dry-run',
  opts: { playbook?: string } & Partial<RunOptions> = {},
) {
  const srv = await startServer({
    memory: true,
    spec: specOf(scenario),
    tokens: [TOKEN],
    adminToken: ADMIN_TOKEN,
    clock: 'manual',
  });
  const { playbook: source, ...rest } = opts;
  const variant = source !== undefined ? mkdtempSync(join(tmpdir(), 'fleetplay-variant-')) : undefined;
  const playbook = join(variant ?? dir, variant ? 'site.yml' : (scenarios[scenario].playbook ?? 'site.yml'));
  if (variant) writeFileSync(playbook, source!);
  try {
    let text = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    const stderr = new Writable({ write: (_c, _e, cb) => cb() });
    const r = await runPlaybook({
      playbook,
      inventory: [join(dir, 'inventory.yml')],
      mode,
      extraVars: { mender_url: srv.url, mender_token: TOKEN },
      stdout,
      stderr,
      ...rest,
    });
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const log = (await (
      await fetch(`${srv.url}/api/admin/v1/requests`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as Request[];
    const deployments = (await (
      await fetch(`${srv.url}/api/management/v1/deployments/deployments`, { headers })
    ).json()) as { id: string; name: string }[];
    const named = (t: string) => deployments.reduce((s, d) => s.replaceAll(d.id, `<deployment ${d.name}>`), t);
    const requests = log.map(
      ({ method, path, query, body, status }) =>
        JSON.parse(named(JSON.stringify({ method, path, query, body, status }))) as Request,
    );
    return { r, text, requests };
  } finally {
    await srv.close();
    if (variant) rmSync(variant, { recursive: true, force: true });
  }
}
