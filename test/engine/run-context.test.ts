/**
 * Two runs in one process at once, each against its own embedded server: the run context
 * (src/run/context.ts) keeps each run's OTA sessions, request counts and fatal error to itself —
 * nothing of a run lives in a module global the other could overwrite, count into or close.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunResult } from '../../src/engine/run.js';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';
import { A, B, C, SPEC } from '../modules/mender/fleet.js';
import { tree } from '../inventory/helpers.js';

/** Reads, a planned OS deployment (A and C run os-1.0), reads again after the apply. */
const dir = tree({
  'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - mender_facts: {}
    - mender_os_update: { artifact: os-1.1 }
    - mender_facts: { config: false }
`,
  'inventory/hosts.yml': `all:\n  hosts:\n${[A, B, C].map((id) => `    "${id}": {}\n`).join('')}`,
});

const run = (srv: TestServer, token: string): Promise<RunResult> =>
  runPlaybook({
    playbook: join(dir, 'site.yml'),
    inventory: [join(dir, 'inventory')],
    mode: 'run',
    server: srv.url,
    env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: token },
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
    stderr: new Writable({ write: (_c, _e, cb) => cb() }),
  });

describe('two runs at once', () => {
  let a: TestServer;
  let b: TestServer;
  beforeEach(async () => {
    [a, b] = await Promise.all([testServer({ spec: SPEC }), testServer({ spec: SPEC })]);
  });
  afterEach(() => Promise.all([a.close(), b.close()]));

  test("each run's requests, statistics and fatal error are its own", async () => {
    // b's run has a token its server refuses: a fatal error for that run only.
    const [ra, rb] = await Promise.all([run(a, TOKEN), run(b, 'not-the-token')]);
    const [qa, qb] = await Promise.all([a.requests(), b.requests()]);

    expect(ra.otaError).toBeUndefined();
    expect(ra.exitCode).toBe(0);
    expect(qa.every((q) => q.status < 400)).toBe(true);
    expect(qa.filter((q) => q.method === 'POST' && q.path.endsWith('/deployments/deployments'))).toHaveLength(1);
    expect(ra.api.requests).toBe(qa.length);
    expect(ra.report.api.requests).toBe(qa.length);

    expect(rb.otaError?.code).toBe('ota.unauthorized');
    expect(rb.exitCode).not.toBe(0);
    expect(qb.length).toBeGreaterThan(0);
    expect(qb.every((q) => q.status === 401)).toBe(true);
    expect(rb.api.requests).toBe(qb.length);
    expect(rb.report.api.requests).toBe(qb.length);
  });
});
