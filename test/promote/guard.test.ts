/**
 * `fleetplay guard` against real git repositories (a bare remote, the team's clone, the workflow's
 * checkout) and a stand-in GitHub on 127.0.0.1 whose every request and answer is checked against
 * GitHub's published OpenAPI description.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { runGuard, type GuardOptions } from '../../src/promote/guard-command.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';
import { capture, git, Remote } from './helpers.js';

const contract = new GitHubContract();
const OP = 'repos/list-commit-statuses-for-ref';
const TOKEN = 'ghs_guardSecretToken0123456789';
const REPO = 'acme/fleet';

interface PullRequest {
  base: string;
  head: string;
  headSha?: string;
  headRepository?: string | null;
}

describe('fleetplay guard', () => {
  let remote: Remote;
  let gh: FakeGitHub;
  let tmp: string;

  beforeEach(async () => {
    remote = new Remote();
    gh = await startFakeGitHub({ prefix: '/api/v3' });
    tmp = mkdtempSync(join(tmpdir(), 'fleetplay-guard-'));
  });
  afterEach(async () => {
    await gh.close();
    remote.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The pull_request event GitHub writes for the workflow (the fields the guard reads, and more). */
  function event(pr: PullRequest): string {
    const path = join(tmp, 'event.json');
    const repo = (full_name: string) => ({ full_name, name: full_name.split('/')[1] });
    const headRepository = pr.headRepository === undefined ? REPO : pr.headRepository;
    writeFileSync(
      path,
      JSON.stringify({
        action: 'opened',
        number: 7,
        pull_request: {
          number: 7,
          title: `Promote ${pr.head} to ${pr.base}`,
          base: { ref: pr.base, sha: remote.head(pr.base), repo: repo(REPO) },
          head: {
            ref: pr.head,
            sha: pr.headSha ?? remote.head(pr.head),
            repo: headRepository === null ? null : repo(headRepository),
          },
        },
      }),
    );
    return path;
  }

  /** The guard as the workflow runs it: on a checkout of the base, the event from GITHUB_EVENT_PATH. */
  async function guard(pr: PullRequest, o: Partial<GuardOptions> = {}) {
    const out = capture();
    const summary = join(tmp, 'summary.md');
    writeFileSync(summary, '');
    const code = await runGuard({
      cwd: o.cwd ?? remote.checkout(pr.base),
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_PATH: event(pr),
        GITHUB_API_URL: gh.url,
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPOSITORY: REPO,
        GITHUB_STEP_SUMMARY: summary,
      },
      stdout: out.stream,
      retryDelaysMs: [],
      ...o,
    });
    return { code, out: out.text(), summary: readFileSync(summary, 'utf8') };
  }

  /** Every request was a documented call with the token, answered as documented; the pages asked for. */
  function pagesRead(): string[] {
    gh.requests.forEach((q, i) => {
      expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([]);
      expect(contract.checkResponse(OP, gh.replies[i].status, gh.replies[i].body)).toEqual([]);
      expect(q.headers.authorization).toBe(`token ${TOKEN}`);
    });
    return gh.requests.map((q) => new URLSearchParams(q.query).get('page') ?? '1');
  }

  const green = (branch: string) => gh.setStatus(remote.head(branch), `fleetplay/${branch}`, 'success');

  test('a clean promotion main → canary passes, after a previous promotion merged with a merge commit', async () => {
    remote.commit('main', { 'inventory/group_vars/all.yml': 'os_image: 1.1.0\n' }, 'Release 1.1.0');
    remote.merge('main', 'canary');
    remote.commit('main', { 'inventory/group_vars/all.yml': 'os_image: 1.2.0\n' }, 'Release 1.2.0');
    green('main');
    const r = await guard({ base: 'canary', head: 'main' });
    expect(r.out).toBe(
      `promotion main → canary allowed: main at ${remote.head('main').slice(0, 7)} is green and lands on canary unmodified\n`,
    );
    expect(r.code).toBe(ExitCode.ok);
    expect(pagesRead()).toEqual(['1']);
    expect(gh.requests[0].path).toBe(`/api/v3/repos/acme/fleet/commits/${remote.head('main')}/statuses`);
    expect(r.summary).toContain('Allowed: green on main and unmodified.');
  });

  test('a skip-stage pull request main → production is refused before GitHub is asked', async () => {
    green('main');
    const r = await guard({ base: 'production', head: 'main' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toContain(
      'REFUSED: production takes promotions from canary only, not from main (stages: main → canary → production)\n  hint: promote main → canary first, one stage at a time',
    );
    expect(r.out).toContain('::error title=promotion guard::production takes promotions from canary only');
    expect(gh.requests).toEqual([]);
  });

  test("a fork's pull request into canary is refused, even from a branch called main", async () => {
    const r = await guard({ base: 'canary', head: 'main', headRepository: 'mallory/fleet' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toContain(
      'REFUSED: canary takes promotions from main of acme/fleet only, not from mallory/fleet:main',
    );
    const deleted = await guard({ base: 'canary', head: 'main', headRepository: null });
    expect(deleted.out).toContain('not from a deleted fork:main');
    expect(gh.requests).toEqual([]);
  });

  test('a hotfix on canary fails the unmodified check naming it; cherry-picked onto main and green, the promotion passes', async () => {
    remote.commit('main', { 'inventory/hosts.yml': 'all:\n  hosts: {kiosk: {}}\n' }, 'Add the kiosk');
    const hotfix = remote.commit(
      'canary',
      { 'inventory/host_vars/kiosk.yml': 'kiosk_url: https://b\n' },
      'hotfix: kiosk URL',
    );
    green('main');
    const r = await guard({ base: 'canary', head: 'main' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    const short = git(remote.bare, 'rev-parse', '--short', hotfix);
    expect(r.out).toContain(
      `REFUSED: canary has a commit that main lacks: ${short} hotfix: kiosk URL — the merge would land a tree that was never verified on main (differs in inventory/host_vars/kiosk.yml)`,
    );
    expect(r.out).toContain(
      `hint: bring them back to main first: git switch main && git cherry-pick ${short} && git push`,
    );
    expect(r.out).toMatch(/^::error title=promotion guard::canary has a commit that main lacks: .*%0Ahint: /m);
    expect(r.summary).toContain(`- canary has a commit that main lacks: ${short} hotfix: kiosk URL`);
    // Green was checked too: the one refusal is the unmodified check.
    expect(r.out.match(/^REFUSED/gm)).toHaveLength(1);

    remote.cherryPick('main', [hotfix]);
    const notYet = await guard({ base: 'canary', head: 'main' });
    expect(notYet.out).toContain(
      `REFUSED: fleetplay/main has not reported on main at ${remote.head('main').slice(0, 7)}`,
    );
    expect(notYet.out).not.toContain('lacks');
    green('main');
    const again = await guard({ base: 'canary', head: 'main' });
    expect(again.code).toBe(ExitCode.ok);
    expect(again.out).toMatch(/^promotion main → canary allowed/);
  });

  test('a change on the target that main later changed again conflicts: refused, naming the file', async () => {
    const hotfix = remote.commit('canary', { 'inventory/hosts.yml': 'all:\n  hosts: {a: {}}\n' }, 'hotfix: a');
    remote.commit('main', { 'inventory/hosts.yml': 'all:\n  hosts: {b: {}}\n' }, 'Add b');
    green('main');
    const r = await guard({ base: 'canary', head: 'main' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toContain(
      `canary has a commit that main lacks: ${hotfix.slice(0, 7)} hotfix: a — the merge conflicts in inventory/hosts.yml`,
    );
  });

  test('a red source stage is refused with its description and link; pending and error each say what to wait for', async () => {
    const sha = remote.head('main');
    const at = `main at ${sha.slice(0, 7)}`;
    const cases: [string, string][] = [
      ['failure', `REFUSED: fleetplay/main failed on ${at} ("1 failed, 6 converged"): the stage is red`],
      [
        'pending',
        `REFUSED: fleetplay/main is pending on ${at} ("1 failed, 6 converged"): the stage is still converging`,
      ],
      ['error', `REFUSED: fleetplay/main is error on ${at} ("1 failed, 6 converged"): the monitor could not decide`],
    ];
    for (const [state, message] of cases) {
      gh.setStatus(sha, 'fleetplay/main', 'success');
      gh.setStatus(sha, 'fleetplay/main', state, {
        description: '1 failed, 6 converged',
        target_url: 'https://github.example/acme/fleet/actions/runs/9',
      });
      const r = await guard({ base: 'canary', head: 'main' });
      expect(r.code).toBe(ExitCode.promotionRefused);
      expect(r.out).toContain(message);
      expect(r.out).toContain('details: https://github.example/acme/fleet/actions/runs/9');
    }
    expect(pagesRead()).toEqual(['1', '1', '1']);
  });

  test('with 150 newer statuses of other contexts, fleetplay/<source> is found on page 2', async () => {
    const sha = remote.head('canary');
    gh.setStatus(sha, 'fleetplay/canary', 'failure');
    gh.setStatus(sha, 'fleetplay/canary', 'success');
    for (let i = 1; i <= 150; i++) gh.setStatus(sha, `ci/check-${i}`, 'success');
    const r = await guard({ base: 'production', head: 'canary' });
    expect(r.code).toBe(ExitCode.ok);
    expect(pagesRead()).toEqual(['1', '2']);
  });

  test('a stage the monitor never reported on: every page read, then refused as missing', async () => {
    const sha = remote.head('canary');
    for (let i = 1; i <= 250; i++) gh.setStatus(sha, `ci/check-${i}`, 'success');
    gh.setStatus(sha, 'fleetplay/main', 'success');
    const r = await guard({ base: 'production', head: 'canary' });
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toContain(
      `REFUSED: fleetplay/canary has not reported on canary at ${sha.slice(0, 7)}: the stage was never verified`,
    );
    expect(pagesRead()).toEqual(['1', '2', '3']);
  });

  test('the stage order comes from fleetplay.yml of the checkout', async () => {
    remote.commit('main', { 'fleetplay.yml': 'stages: [main, staging, canary]\n' }, 'Stages');
    git(remote.team, 'push', '-q', 'origin', 'main:staging');
    remote.merge('main', 'canary');
    git(remote.team, 'push', '-q', 'origin', 'main:production');
    green('staging');
    const ok = await guard({ base: 'canary', head: 'staging' });
    expect(ok.code).toBe(ExitCode.ok);
    const skip = await guard({ base: 'canary', head: 'main' });
    expect(skip.out).toContain(
      'canary takes promotions from staging only, not from main (stages: main → staging → canary)',
    );
    const notAStage = await guard({ base: 'production', head: 'canary' });
    expect(notAStage).toMatchObject({ code: ExitCode.ok });
    expect(notAStage.out).toContain('nothing to guard: production is not a stage (main → staging → canary)');
  });

  test('pull requests into the first stage or a branch that is no stage are no promotions: passed with a notice', async () => {
    git(remote.team, 'push', '-q', 'origin', 'main:feature');
    const r = await guard({ base: 'main', head: 'feature' });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.out).toBe(
      'nothing to guard: main is the first stage (main → canary → production): it takes changes, not promotions\n' +
        '::notice title=promotion guard::main is the first stage (main → canary → production): it takes changes, not promotions\n',
    );
    expect(gh.requests).toEqual([]);
  });

  test('a head commit the checkout lacks (a shallow checkout) is a usage error with the fix', async () => {
    const r = await guard({ base: 'canary', head: 'main', headSha: 'f'.repeat(40) });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.out).toContain('ERROR! the checkout does not hold main at fffffff');
    expect(r.out).toContain('fetch-depth: 0');
  });

  test('GitHub refusing the read is a usage error naming the fix, never the token', async () => {
    await gh.close();
    gh = await startFakeGitHub({
      prefix: '/api/v3',
      respond: () => ({ status: 401, body: { message: 'Bad credentials' } }),
    });
    const r = await guard({ base: 'canary', head: 'main' });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.out).toContain(
      `ERROR! cannot read fleetplay/main on ${remote.head('main').slice(0, 7)} of acme/fleet: HTTP 401`,
    );
    expect(r.out).toContain('permissions: statuses: read');
    expect(r.out).not.toContain(TOKEN);
  });

  test('locally, --base and --head name origin’s branches', async () => {
    green('main');
    const out = capture();
    const code = await runGuard({
      cwd: remote.checkout('main'),
      base: 'canary',
      head: 'main',
      repository: REPO,
      env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: TOKEN },
      stdout: out.stream,
    });
    expect(code).toBe(ExitCode.ok);
    expect(out.text()).toMatch(/^promotion main → canary allowed/);
    expect(pagesRead()).toEqual(['1']);
  });
});
