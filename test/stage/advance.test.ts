/**
 * `fleetplay advance`, what update-fleet.yml's hourly schedule runs: one workflow dispatch per stage
 * branch of fleetplay.yml, against the local GitHub stand-in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';
import { runAdvance } from '../../src/stage/advance.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';

const TOKEN = 'ghs_advanceTest0123456789';
let gh: FakeGitHub;
let dir: string;

beforeEach(async () => {
  gh = await startFakeGitHub({ prefix: '/api/v3' });
  dir = mkdtempSync(join(tmpdir(), 'fleetplay-advance-'));
});
afterEach(async () => {
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
  clearSecretsForTests();
});

async function advance(branch?: string, env: NodeJS.ProcessEnv = {}, base = gh.url) {
  let out = '';
  let err = '';
  const code = await runAdvance(
    { repo: dir, ...(branch === undefined ? {} : { branch }) },
    {
      stdout: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
      stderr: new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) }),
      env: { GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: 'acme/fleet', GITHUB_API_URL: base, ...env },
    },
  );
  return { code, out, err };
}

const refs = (g: FakeGitHub) => g.requests.map((q) => (JSON.parse(q.body) as { ref: string }).ref);

test('every stage, lowest first (the default stages without fleetplay.yml); --branch one of them', async () => {
  expect(await advance()).toEqual({
    code: ExitCode.ok,
    out: 'started update-fleet.yml on main\nstarted update-fleet.yml on canary\nstarted update-fleet.yml on production\n',
    err: '',
  });
  expect(await advance('canary')).toMatchObject({ code: ExitCode.ok, out: 'started update-fleet.yml on canary\n' });
  expect(refs(gh)).toEqual(['main', 'canary', 'production', 'canary']);
});

test('a branch that is no stage, or a bad fleetplay.yml, starts nothing and says why', async () => {
  const other = await advance('feature/x');
  expect(other.code).toBe(ExitCode.usage);
  expect(other.err).toContain('feature/x is not a stage branch');
  writeFileSync(join(dir, 'fleetplay.yml'), 'stages: [main, main]\n');
  const bad = await advance();
  expect(bad.code).toBe(ExitCode.usage);
  expect(bad.err).toMatch(/fleetplay\.yml:1:\d+: fleetplay\.yml: stages: each stage once/);
  expect(gh.requests).toEqual([]);
});

test('without GITHUB_TOKEN nothing is sent and the step fails, naming it', async () => {
  const r = await advance(undefined, { GITHUB_TOKEN: '' });
  expect(r.code).toBe(ExitCode.usage);
  expect(r.err).toBe(
    ['main', 'canary', 'production']
      .map((b) => `fleetplay: update-fleet.yml not started on ${b}: GITHUB_TOKEN not known\n`)
      .join(''),
  );
  expect(gh.requests).toEqual([]);
});

test('a refused dispatch fails the step with the hint for its status, and the other stages are still started', async () => {
  const refusing = await startFakeGitHub({
    prefix: '/api/v3',
    respond: (q) =>
      q.body.includes('"canary"')
        ? { status: 403, body: { message: 'Resource not accessible by integration' } }
        : undefined,
  });
  try {
    const r = await advance(undefined, {}, refusing.url);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.out).toBe('started update-fleet.yml on main\nstarted update-fleet.yml on production\n');
    expect(r.err).toContain('starting update-fleet.yml on canary in acme/fleet: HTTP 403');
    expect(r.err).toContain('actions: write');
    expect(r.err).not.toContain(TOKEN);
    expect(refs(refusing)).toEqual(['main', 'canary', 'production']);
  } finally {
    await refusing.close();
  }
});
