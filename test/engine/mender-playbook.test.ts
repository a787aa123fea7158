/**
 * A playbook in the style of existing Ansible + Mender fleet repositories (uri facts, json_query,
 * roles under when, lookup('template'), uri POST/PUT/DELETE) against the embedded server: fleetplay
 * must make exactly the API writes ansible-playbook made (recorded in test/fixtures/mender/expected.json
 * with its command, by generate.mjs), and none in dry-run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runPlaybook } from '../../src/engine/run.js';
import { flatResults } from '../../src/engine/report.js';
import { startServer } from '../../src/server/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mender');
const TOKEN = 'fixture-token-0123456789';
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  rc: number;
  stats: Record<string, { ok: number; changed: number; failures: number; skipped: number }>;
  writes: { method: string; path: string; body: unknown; status: number }[];
};

/** Hosts run concurrently in both tools: compare writes as a sorted list. */
const sorted = (w: { method: string; path: string; body: unknown; status: number }[]) =>
  w.map((x) => JSON.stringify([x.method, x.path, x.body, x.status])).sort();

async function runAgainstServer(mode: 'run' | 'dry-run') {
  const srv = await startServer({
    memory: true,
    spec: JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')),
    tokens: [TOKEN],
    clock: 'manual',
  });
  try {
    let text = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    const r = await runPlaybook({
      playbook: join(dir, 'site.yml'),
      inventory: [join(dir, 'inventory.yml')],
      mode,
      extraVars: { mender_url: srv.url, mender_token: TOKEN },
      stdout,
      recordResults: true,
    });
    const log = (await (
      await fetch(`${srv.url}/api/admin/v1/requests`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json()) as { method: string; path: string; body: unknown; status: number }[];
    return { r, text, writes: log.filter((q) => q.method !== 'GET') };
  } finally {
    await srv.close();
  }
}

describe('Mender-style playbook against the embedded server', () => {
  test('run makes exactly the writes ansible-playbook made, with the same recap', async () => {
    const { r, text, writes } = await runAgainstServer('run');
    expect(r.errors).toEqual([]);
    expect(sorted(writes)).toEqual(sorted(expected.writes));
    expect(expected.writes.length).toBe(9);
    const recap = Object.fromEntries(
      Object.entries(r.recap).map(([h, s]) => [
        h,
        { ok: s.ok, changed: s.changed, failures: s.failed, skipped: s.skipped },
      ]),
    );
    const want = Object.fromEntries(
      Object.entries(expected.stats).map(([h, s]) => [
        h,
        { ok: s.ok, changed: s.changed, failures: s.failures, skipped: s.skipped },
      ]),
    );
    expect(recap).toEqual(want);
    expect(r.exitCode).toBe(expected.rc);
    expect(text).not.toContain(TOKEN);
  });

  test('dry-run reads but writes nothing', async () => {
    const { r, writes } = await runAgainstServer('dry-run');
    expect(r.exitCode).toBe(0);
    expect(writes).toEqual([]);
    expect(
      flatResults(r.report.results).filter((x) => x.action === 'uri' && x.status === 'changed').length,
    ).toBeGreaterThanOrEqual(7);
  });
});
