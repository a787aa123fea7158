/**
 * The monitor's commit status and job summary: sent to a local stand-in for GitHub and checked
 * against GitHub's published OpenAPI description; the token never shows in any output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';
import { testServer, type TestServer } from '../ota/helpers.js';
import { commitImage, dev, fleetRepo, monitor, snapshotOf, SPEC, updateRun } from './helpers.js';

const contract = new GitHubContract();
const OP = 'repos/create-commit-status';
const GH_TOKEN = 'ghs_monitorSecretToken0123456789';

describe('monitor → GitHub', () => {
  let srv: TestServer;
  let gh: FakeGitHub;
  beforeEach(async () => {
    srv = await testServer({ spec: SPEC });
    gh = await startFakeGitHub({ prefix: '/api/v3' });
  });
  afterEach(async () => {
    await gh.close();
    await srv.close();
  });

  const actionsEnv = (summary: string) => ({
    GITHUB_TOKEN: GH_TOKEN,
    GITHUB_REPOSITORY: 'acme/fleet',
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '4242',
    // The workflow_run event's own sha: not the deployed commit, never used for the status.
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_STEP_SUMMARY: summary,
  });

  test('a bad release on canary: pending while it installs, then failure on the deployed commit', async () => {
    const repo = commitImage(fleetRepo('os-1.1'), 'os-1.2-bad');
    await updateRun(repo, srv);
    const summary = join(mkdtempSync(join(tmpdir(), 'fleetplay-summary-')), 'summary.md');
    writeFileSync(summary, '');
    const r = await monitor(repo, srv, { wait: true, interval: '30s' }, actionsEnv(summary));
    expect(r.code).toBe(2);
    const sent = gh.requests.map((q) => JSON.parse(q.body) as Record<string, string>);
    expect(sent.map((b) => b.state)).toEqual([...sent.slice(0, -1).map(() => 'pending'), 'failure']);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const last = sent[sent.length - 1];
    expect(last).toEqual({
      state: 'failure',
      context: 'fleetplay/canary',
      description: '4 failed, 1 not subscribed',
      target_url: 'https://github.example/acme/fleet/actions/runs/4242',
    });
    for (const [i, q] of gh.requests.entries()) {
      expect(q.path).toBe(`/api/v3/repos/acme/fleet/statuses/${repo.commit}`);
      expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([]);
      expect(contract.checkResponse(OP, gh.replies[i].status, gh.replies[i].body)).toEqual([]);
      expect(q.headers.authorization).toBe(`token ${GH_TOKEN}`);
    }
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/\| failed \| 4 \|/);
    expect(md).toMatch(
      /### Devices not converged[\s\S]*\| kiosk-1 \(`7a000000-0000-4000-8000-000000000001`\) \| failed \| `[0-9a-f-]{36}` \|/,
    );
    for (const text of [r.stdout, r.stderr, md]) expect(text).not.toContain(GH_TOKEN);
  });

  test('a converged canary gets success; without the token nothing is sent and it says so once', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const summary = join(mkdtempSync(join(tmpdir(), 'fleetplay-summary-')), 'summary.md');
    const ok = await monitor(repo, srv, {}, actionsEnv(summary));
    expect(ok.code).toBe(0);
    expect(JSON.parse(gh.requests[0].body)).toMatchObject({
      state: 'success',
      description: '4 converged, 1 not subscribed',
    });
    expect(contract.checkRequest(gh.requests[0], OP, '/api/v3')).toEqual([]);

    const other = commitImage(repo, 'os-1.2-bad');
    await updateRun(other, srv);
    const quiet = await monitor(
      other,
      srv,
      { wait: true, interval: '30s' },
      { GITHUB_REPOSITORY: 'acme/fleet', GITHUB_API_URL: gh.url },
    );
    expect(quiet.code).toBe(2);
    expect(gh.requests.length).toBe(1);
    expect(quiet.stderr.match(/commit status fleetplay\/canary not sent: GITHUB_TOKEN not known/g)).toHaveLength(1);
  });

  /** What the monitor sent, in order: [state, description]. */
  const statuses = () =>
    gh.requests
      .map((q) => JSON.parse(q.body) as { state: string; description: string })
      .map((b) => [b.state, b.description]);
  const summaryFile = () => join(mkdtempSync(join(tmpdir(), 'fleetplay-summary-')), 'summary.md');
  const offline = (n: number) => srv.admin('PUT', `devices/${dev(n)}`, { online: false });

  test('every device offline before its update: pending (exit 3), never success; --wait stops once only offline ones are left', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    for (const n of [1, 2, 3, 4]) await offline(n);
    const r = await monitor(
      repo,
      srv,
      { wait: true, interval: '10m', timeout: '6h', offlineAfter: '1h' },
      actionsEnv(summaryFile()),
    );
    expect(r.code).toBe(3);
    expect(statuses()).toEqual([
      ['pending', '4 pending, 1 not subscribed'],
      ['pending', '4 offline, 1 not subscribed'],
    ]);
    expect(r.stdout).toMatch(/4 of 4 devices offline before converging \(at most 0 may not converge\)/);
    // Looks every 10 minutes until the devices count as offline (over 1h), not until the 6h timeout.
    const looks = r.stderr.match(/^\S+ \+(\d+)s /gm)!;
    expect(looks.length).toBe(8);
    expect(r.stderr).toMatch(/\+4200s 0\/4 settled, 4 offline, 1 not subscribed\n$/);
  });

  test('one device offline before its update: pending; tolerated by --max-failed 1: success; offline after converging: converged', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    await offline(3);
    const held = await monitor(
      repo,
      srv,
      { wait: true, interval: '30m', timeout: '6h', json: true },
      actionsEnv(summaryFile()),
    );
    expect(held.code).toBe(3);
    expect(snapshotOf(held).devices.find((d) => d.device === dev(3))).toMatchObject({
      state: 'offline',
      why: expect.stringMatching(/no check-in for \d+m .*; was: os-1.1: scheduled, not started/) as unknown,
    });
    expect(statuses().at(-1)).toEqual(['pending', '3 converged, 1 offline, 1 not subscribed']);
    expect(statuses().map(([state]) => state)).not.toContain('success');

    const tolerated = await monitor(repo, srv, { maxFailed: '1' }, actionsEnv(summaryFile()));
    expect(tolerated.code).toBe(0);
    expect(statuses().at(-1)).toEqual(['success', '3 converged, 1 offline, 1 not subscribed']);
    expect(tolerated.stdout).toMatch(/3 of 4 devices converged \(1 offline, within --max-failed\)/);

    // Device 1 already runs what the branch wants: silence does not make it less converged.
    await offline(1);
    await srv.admin('PUT', `devices/${dev(3)}`, { online: true });
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    await srv.admin('POST', 'clock/advance', { seconds: 2 * 3600 });
    const back = await monitor(repo, srv, { json: true }, actionsEnv(summaryFile()));
    expect(snapshotOf(back).counts).toMatchObject({ converged: 4, offline: 0 });
    expect(back.code).toBe(0);
    expect(statuses().at(-1)).toEqual(['success', '4 converged, 1 not subscribed']);
  });

  test('--wait --timeout on the manual clock: still in progress at the timeout → exit 3 with pending published', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    const r = await monitor(
      repo,
      srv,
      { wait: true, interval: '30s', timeout: '60s', json: true },
      actionsEnv(summaryFile()),
    );
    expect(r.code).toBe(3);
    // Looks at +0s, +30s, +60s of simulated time, then gives up: the devices need ~100s.
    expect(r.stderr.match(/^\S+ \+(\d+)s /gm)!.map((l) => l.split(' ')[1])).toEqual(['+0s', '+30s', '+60s']);
    const s = snapshotOf(r);
    expect(s.verdict).toMatchObject({ exitCode: 3, commitState: 'pending', settled: false });
    expect(s.counts.converged).toBe(0);
    expect(s.counts.pending + s.counts.in_progress).toBe(4);
    expect(statuses().length).toBeGreaterThanOrEqual(1);
    expect(statuses().at(-1)![0]).toBe('pending');
    for (const q of gh.requests) expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([]);
    // Given longer, the same stage converges: the timeout, not the fleet, ended the wait.
    const later = await monitor(repo, srv, { wait: true, interval: '30s', timeout: '10m' }, actionsEnv(summaryFile()));
    expect(later.code).toBe(0);
    expect(statuses().at(-1)![0]).toBe('success');
  });

  test('on a terminal a warning while waiting clears the bar and keeps a line of its own', async () => {
    await gh.close();
    gh = await startFakeGitHub({
      prefix: '/api/v3',
      respond: (_q, n) => (n === 2 ? { status: 422, body: { message: 'Validation Failed' } } : undefined),
    });
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    const r = await monitor(
      repo,
      srv,
      { wait: true, interval: '30s' },
      { ...actionsEnv(summaryFile()), NO_COLOR: '1' },
      { tty: true },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^\r\[\.{30}\] 0% 0\/4 settled, 4 pending, 1 not subscribed\x1b\[K\r\x1b\[Kwarning: commit status fleetplay\/canary on acme\/fleet failed: HTTP 422 [^\n]*\n[\s\S]*\r\[/,
    );
    expect(r.stderr).not.toContain(GH_TOKEN);
  });
});
