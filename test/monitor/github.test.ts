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
import { commitImage, fleetRepo, monitor, SPEC, updateRun } from './helpers.js';

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
    const last = sent[sent.length - 1]!;
    expect(last).toEqual({
      state: 'failure',
      context: 'fleetplay/canary',
      description: '4 failed, 1 not subscribed',
      target_url: 'https://github.example/acme/fleet/actions/runs/4242',
    });
    for (const [i, q] of gh.requests.entries()) {
      expect(q.path).toBe(`/api/v3/repos/acme/fleet/statuses/${repo.commit}`);
      expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([]);
      expect(contract.checkResponse(OP, gh.replies[i]!.status, gh.replies[i]!.body)).toEqual([]);
      expect(q.headers.authorization).toBe(`token ${GH_TOKEN}`);
    }
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/\| failed \| 4 \|/);
    expect(md).toMatch(/### Devices not converged[\s\S]*\| `7a000000-0000-4000-8000-000000000001` \| failed \| `[0-9a-f-]{36}` \|/);
    for (const text of [r.stdout, r.stderr, md]) expect(text).not.toContain(GH_TOKEN);
  });

  test('a converged canary gets success; without the token nothing is sent and it says so once', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const summary = join(mkdtempSync(join(tmpdir(), 'fleetplay-summary-')), 'summary.md');
    const ok = await monitor(repo, srv, {}, actionsEnv(summary));
    expect(ok.code).toBe(0);
    expect(JSON.parse(gh.requests[0]!.body)).toMatchObject({ state: 'success', description: '4 converged, 1 not subscribed' });
    expect(contract.checkRequest(gh.requests[0]!, OP, '/api/v3')).toEqual([]);

    const other = commitImage(repo, 'os-1.2-bad');
    await updateRun(other, srv);
    const quiet = await monitor(other, srv, { wait: true, interval: '30s' }, { GITHUB_REPOSITORY: 'acme/fleet', GITHUB_API_URL: gh.url });
    expect(quiet.code).toBe(2);
    expect(gh.requests.length).toBe(1);
    expect(quiet.stderr.match(/commit status fleetplay\/canary not sent: GITHUB_TOKEN not known/g)).toHaveLength(1);
  });
});
