/**
 * `fleetplay promote` and `fleetplay rollback` against real git repositories (a bare remote and
 * a clone, in temp dirs) and a stand-in GitHub on 127.0.0.1 (test/github/fake-github.ts) whose
 * every request is checked against GitHub's published description (contract/github.json), and
 * every answer too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { promote } from '../../src/promote/promote.js';
import { rollback } from '../../src/promote/rollback.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';
import {
  allVarsWithImage,
  ensureBuilt,
  fleetplayCli,
  fleetRepo,
  fleetServer,
  git,
  SECRETS,
  TOKEN,
  type FleetRepo,
} from '../stage/helpers.js';

beforeAll(ensureBuilt, 120_000);

const contract = new GitHubContract();
const PREFIX = '/api/v3';

const sh = git;

let gh: FakeGitHub;
let origin: FleetRepo;
let tmp: string;
/** The remote (bare) and the operator's clone the commands run in. */
let remote: string;
let work: string;

beforeEach(async () => {
  gh = await startFakeGitHub({ prefix: PREFIX });
  origin = fleetRepo();
  tmp = mkdtempSync(join(tmpdir(), 'fleetplay-promote-'));
  remote = join(tmp, 'fleet.git');
  sh(tmp, 'clone', '-q', '--bare', origin.dir, remote);
  work = join(tmp, 'work');
  sh(tmp, 'clone', '-q', remote, work);
});

afterEach(async () => {
  // Every request was one of GitHub's operations, as GitHub documents it, and so was every answer.
  for (const [i, req] of gh.requests.entries()) {
    const op = contract.findOperation(req.method, req.path.slice(PREFIX.length));
    expect(op?.operationId).toBeDefined();
    expect(contract.checkRequest(req, op!.operationId, PREFIX)).toEqual([]);
    const reply = gh.replies[i];
    if (reply.status < 300) expect(contract.checkResponse(op!.operationId, reply.status, reply.body)).toEqual([]);
  }
  await gh.close();
  origin.remove();
  rmSync(tmp, { recursive: true, force: true });
});

/** Commits a change on `branch` in the operator's clone and pushes it; returns the commit. */
function pushChange(branch: string, files: Record<string, string>, message = 'change'): string {
  sh(work, 'checkout', '-q', branch);
  for (const [p, text] of Object.entries(files)) writeFileSync(join(work, p), text);
  sh(work, 'add', '-A');
  sh(work, 'commit', '-qm', message);
  sh(work, 'push', '-q', 'origin', branch);
  return sh(work, 'rev-parse', 'HEAD');
}

/** A promotion merged the way GitHub merges a pull request (a merge commit on the target); returns it. */
function mergePromotion(from: string, to: string): string {
  sh(work, 'fetch', '-q', 'origin');
  sh(work, 'checkout', '-q', to);
  sh(work, 'merge', '-q', '--no-ff', '-m', `Merge pull request from ${from}`, `origin/${from}`);
  sh(work, 'push', '-q', 'origin', to);
  return sh(work, 'rev-parse', 'HEAD');
}

const env = () => ({
  PATH: process.env.PATH,
  GITHUB_TOKEN: 'ghs_promote-test-token-9137',
  GITHUB_REPOSITORY: 'acme/fleet',
  GITHUB_API_URL: gh.url,
});

async function run<T extends object>(
  command: (o: T & { cwd: string; env: NodeJS.ProcessEnv; stdout: Writable }) => Promise<number>,
  o: T,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  let out = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
  const code = await command({ ...o, cwd: work, env: { ...env(), ...extraEnv }, stdout });
  return { code, out };
}

const promoteArgs = { playbook: 'playbooks/manage-fleet.yml', inventory: ['inventory'] };
const creates = () => gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulls'));

describe('fleetplay promote', () => {
  it('opens one pull request main → canary with the plan of canary after the merge, and refuses a second (link printed)', async () => {
    const sha = pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') }, 'release 1.1.0');
    gh.setStatus(sha, 'fleetplay/main', 'success');
    const first = await run(promote, { ...promoteArgs, from: 'main' });
    expect(first.out).toMatch(
      /opened the promotion pull request main → canary: https:\/\/github\.example\/acme\/fleet\/pull\/\d+/,
    );
    expect(first.code).toBe(ExitCode.ok);
    expect(creates()).toHaveLength(1);
    const sent = JSON.parse(creates()[0].body) as { head: string; base: string; title: string; body: string };
    expect(sent).toMatchObject({ head: 'main', base: 'canary', title: `Promote main → canary (${sha.slice(0, 12)})` });
    expect(sent.body).toContain('fleetplay/main is **success**');
    // The offline plan (no OTA token): canary's device ④ would get 1.1.0, said to come from the repository alone.
    expect(sent.body).toContain('Live device state was not consulted');
    expect(sent.body).toContain('No OTA server is configured');
    expect(sent.body).toMatch(/kiosk-campus[^\n]*fleet-os-1\.1\.0-raspberrypi3/);
    expect(sent.body).not.toMatch(/kiosk-central-station[^\n]*fleet-os-1\.1\.0/);
    const second = await run(promote, { ...promoteArgs, from: 'main', to: 'canary' });
    expect(second.code).toBe(ExitCode.ok);
    expect(second.out).toBe(
      `a promotion pull request main → canary is already open: https://github.example/acme/fleet/pull/${gh.pulls.pulls[0].number}\n`,
    );
    expect(creates()).toHaveLength(1);
  });

  it("with the OTA server configured, the plan is a dry run of canary with main's tree against it (nothing written)", async () => {
    const srv = await fleetServer();
    try {
      const sha = pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
      gh.setStatus(sha, 'fleetplay/main', 'success', { target_url: 'https://ci.example/run/9' });
      const r = await run(
        promote,
        { ...promoteArgs, from: 'main', server: srv.url },
        { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS },
      );
      expect(r.code).toBe(ExitCode.ok);
      const body = (JSON.parse(creates()[0].body) as { body: string }).body;
      expect(body).toContain('a dry run of the merged tree against the OTA server');
      expect(body).not.toContain('Live device state was not consulted');
      expect(body).toMatch(/kiosk-campus[^\n]*fleet-os-1\.0\.0-raspberrypi3 → fleet-os-1\.1\.0-raspberrypi3/);
      expect(body).not.toContain(SECRETS.GHRUNNER_TOKEN);
      const writes = (await srv.requests()).filter((q) => q.method !== 'GET' && !/search$|list$|login$/.test(q.path));
      expect(writes).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('refuses when the source stage is red: its status, description and link; no pull request', async () => {
    const sha = pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.2.0') });
    gh.setStatus(sha, 'fleetplay/main', 'failure', {
      description: '1 failed, 0 converged',
      target_url: 'https://ci.example/run/42',
    });
    const r = await run(promote, { ...promoteArgs, from: 'main' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toContain(
      `fleetplay/main failed on main at ${sha.slice(0, 7)} ("1 failed, 0 converged"): the stage is red`,
    );
    expect(r.out).toContain('details: https://ci.example/run/42');
    expect(creates()).toHaveLength(0);
  });

  it('refuses when the source commit carries no status (among many other contexts, over several pages)', async () => {
    const sha = pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    for (let i = 0; i < 150; i++) gh.setStatus(sha, `other/check-${i}`, 'success');
    const r = await run(promote, { ...promoteArgs, from: 'main' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toContain(
      `fleetplay/main has not reported on main at ${sha.slice(0, 7)}: the stage was never verified`,
    );
    expect(gh.requests.filter((q) => q.path.endsWith('/statuses')).length).toBe(2);
    expect(creates()).toHaveLength(0);
  });

  it('finds a success status past the first page of contexts', async () => {
    const sha = pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    // Newest first: the older fleetplay/main status is on the second page.
    gh.setStatus(sha, 'fleetplay/main', 'success');
    for (let i = 0; i < 120; i++) gh.setStatus(sha, `other/check-${i}`, 'success');
    const r = await run(promote, { ...promoteArgs, from: 'main' });
    expect(r.code).toBe(ExitCode.ok);
    expect(creates()).toHaveLength(1);
  });

  it('nothing to promote when canary already contains main; a skip-stage request is refused', async () => {
    const nothing = await run(promote, { ...promoteArgs, from: 'main' });
    expect(nothing.code).toBe(ExitCode.ok);
    expect(nothing.out).toMatch(/^nothing to promote: canary already contains main at [0-9a-f]{12}\n$/);
    const skip = await run(promote, { ...promoteArgs, from: 'main', to: 'production' });
    expect(skip.code).toBe(ExitCode.promotionRefused);
    expect(skip.out).toContain('refused: production takes promotions only from canary, not from main');
    expect(gh.requests).toHaveLength(0);
  });
});

describe('fleetplay rollback', () => {
  it('opens the revert pull request of a red canary; merging it restores canary to its tree before the promotion', async () => {
    pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.2.0') }, 'release 1.2.0');
    const merge = mergePromotion('main', 'canary');
    const before = sh(work, 'rev-parse', `${merge}^1^{tree}`);
    expect(sh(work, 'rev-parse', `${merge}^{tree}`)).not.toBe(before);
    gh.setStatus(merge, 'fleetplay/canary', 'failure', {
      description: '1 failed',
      target_url: 'https://ci.example/run/7',
    });
    const r = await run(rollback, { stage: 'canary' });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.out).toContain(`opened the rollback pull request of canary (reverts ${merge.slice(0, 12)})`);
    const sent = JSON.parse(creates()[0].body) as { head: string; base: string; body: string };
    expect(sent).toMatchObject({ head: `rollback/canary-${merge.slice(0, 12)}`, base: 'canary' });
    expect(sent.body).toContain(`reverts the promotion merge \`${merge.slice(0, 12)}\``);
    expect(sent.body).toContain('fleetplay/canary is failure');
    expect(sent.body).toContain('https://ci.example/run/7');
    // The branch is on the remote; merging the pull request gives canary its tree from before the promotion.
    sh(work, 'fetch', '-q', 'origin');
    sh(work, 'checkout', '-q', 'canary');
    sh(work, 'merge', '-q', '--no-ff', '-m', 'Merge rollback', `origin/${sent.head}`);
    expect(sh(work, 'rev-parse', 'HEAD^{tree}')).toBe(before);
    // A second call finds the pull request open.
    const again = await run(rollback, { stage: 'canary' });
    expect(again.out).toContain('the rollback pull request of canary is already open');
    expect(creates()).toHaveLength(1);
  });

  it('refuses when the stage is green, and when there is no promotion to revert', async () => {
    pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const merge = mergePromotion('main', 'canary');
    gh.setStatus(merge, 'fleetplay/canary', 'success');
    const green = await run(rollback, { stage: 'canary' });
    expect(green.code).toBe(ExitCode.usage);
    expect(green.out).toContain(`refused: fleetplay/canary is success on canary at ${merge.slice(0, 12)}`);
    const direct = pushChange('production', { 'NOTES.md': 'x\n' });
    gh.setStatus(direct, 'fleetplay/production', 'failure');
    const none = await run(rollback, { stage: 'production' });
    expect(none.code).toBe(ExitCode.usage);
    expect(none.out).toContain('nothing to revert: production has no promotion merge from canary');
    expect(creates()).toHaveLength(0);
    expect(sh(work, 'ls-remote', '--heads', 'origin', 'rollback/*')).toBe('');
  });
});

describe('the built CLI (dist/cli/main.js)', () => {
  it('refuses what the stages refuse before asking for a token; with one, promote opens the pull request', async () => {
    const skip = await fleetplayCli(work, ['promote', '--from', 'main', '--to', 'production'], {});
    expect(skip.code).toBe(ExitCode.promotionRefused);
    expect(skip.out).toContain('refused: production takes promotions only from canary, not from main');
    const lowest = await fleetplayCli(work, ['rollback', '--stage', 'main'], {});
    expect(lowest.code).toBe(ExitCode.usage);
    expect(lowest.out).toContain('main takes no promotions: the stages are main → canary → production');
    const noToken = await fleetplayCli(work, ['promote', '--from', 'main'], {});
    expect(noToken.code).toBe(ExitCode.usage);
    expect(noToken.out).toContain('GITHUB_TOKEN is not set');
    expect(gh.requests).toHaveLength(0);
    const sha = pushChange('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    gh.setStatus(sha, 'fleetplay/main', 'success');
    const { PATH: _path, ...github } = env();
    const r = await fleetplayCli(work, ['promote', '--from', 'main'], github);
    expect(r.out).toContain('opened the promotion pull request main → canary: https://github.example/acme/fleet/pull/');
    expect(r.code).toBe(ExitCode.ok);
    expect(creates()).toHaveLength(1);
  });
});
