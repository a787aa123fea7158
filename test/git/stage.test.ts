import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentStage } from '../../src/git/index.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A real repository with two commits on `canary`; returns its directory and the two shas. */
function fleetRepo(): { dir: string; first: string; second: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-git-'));
  sh(dir, 'init', '-q', '-b', 'canary');
  sh(dir, 'config', 'user.email', 'ci@example.com');
  sh(dir, 'config', 'user.name', 'CI');
  writeFileSync(join(dir, 'hosts.yml'), 'all: {}\n');
  sh(dir, 'add', '.');
  sh(dir, 'commit', '-q', '-m', 'one');
  const first = sh(dir, 'rev-parse', 'HEAD');
  writeFileSync(join(dir, 'hosts.yml'), 'all: { vars: { x: 1 } }\n');
  sh(dir, 'commit', '-q', '-am', 'two');
  return { dir, first, second: sh(dir, 'rev-parse', 'HEAD') };
}

describe('currentStage', () => {
  const repo = fleetRepo();
  const tmp: string[] = [repo.dir];
  afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
  afterEach(() => sh(repo.dir, 'checkout', '-q', 'canary'));

  test('a checked-out branch gives its name and the HEAD commit; CI variables do not override git', async () => {
    const r = await currentStage(repo.dir, { env: { GITHUB_REF_NAME: 'production', GITHUB_SHA: repo.first } });
    expect(r).toEqual({ ok: true, value: { branch: 'canary', commit: repo.second, detached: false } });
  });

  test('detached HEAD (an Actions checkout) takes the branch from GITHUB_REF_NAME when GITHUB_SHA is HEAD', async () => {
    sh(repo.dir, 'checkout', '-q', '--detach', repo.first);
    const r = await currentStage(repo.dir, {
      env: { GITHUB_REF_NAME: 'production', GITHUB_REF_TYPE: 'branch', GITHUB_SHA: repo.first },
    });
    expect(r).toEqual({ ok: true, value: { branch: 'production', commit: repo.first, detached: true } });
  });

  test('detached HEAD with GITHUB_REF_NAME but no GITHUB_SHA still uses the ref name', async () => {
    sh(repo.dir, 'checkout', '-q', '--detach', repo.second);
    const r = await currentStage(repo.dir, { env: { GITHUB_REF_NAME: 'main' } });
    expect(r.ok && r.value).toEqual({ branch: 'main', commit: repo.second, detached: true });
  });

  test('detached HEAD at another commit than GITHUB_SHA refuses to guess (workflow_run checkouts)', async () => {
    sh(repo.dir, 'checkout', '-q', '--detach', repo.first);
    const r = await currentStage(repo.dir, { env: { GITHUB_REF_NAME: 'main', GITHUB_SHA: repo.second } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('git.no-branch');
    expect(r.error.message).toContain(`GITHUB_SHA=${repo.second.slice(0, 12)}`);
    expect(r.error.hint).toContain('--branch');
  });

  test('detached HEAD triggered by a tag is not a stage branch', async () => {
    sh(repo.dir, 'checkout', '-q', '--detach', repo.first);
    const r = await currentStage(repo.dir, {
      env: { GITHUB_REF_NAME: 'v1.0', GITHUB_REF_TYPE: 'tag', GITHUB_SHA: repo.first },
    });
    expect(r.ok || r.error.message).toBe('the workflow was triggered by tag v1.0, not a branch');
  });

  test('detached HEAD with nothing in the environment is a clear error', async () => {
    sh(repo.dir, 'checkout', '-q', '--detach', repo.first);
    const r = await currentStage(repo.dir, { env: {} });
    expect(r.ok || r.error).toMatchObject({
      code: 'git.no-branch',
      message: `HEAD is detached at ${repo.first.slice(0, 12)} in ${repo.dir} and no branch is known`,
      file: repo.dir,
    });
  });

  test('--branch wins over the checked-out branch and over the environment, also when detached', async () => {
    expect(await currentStage(repo.dir, { branch: 'production', env: { GITHUB_REF_NAME: 'main' } })).toEqual({
      ok: true,
      value: { branch: 'production', commit: repo.second, detached: false },
    });
    sh(repo.dir, 'checkout', '-q', '--detach', repo.first);
    const r = await currentStage(repo.dir, {
      branch: 'canary',
      env: { GITHUB_REF_NAME: 'main', GITHUB_SHA: repo.second },
    });
    expect(r).toEqual({ ok: true, value: { branch: 'canary', commit: repo.first, detached: true } });
  });

  test('an invalid --branch is refused with git’s own rules', async () => {
    const r = await currentStage(repo.dir, { branch: 'bad..name' });
    expect(r.ok || r.error).toMatchObject({
      code: 'git.bad-branch',
      message: '--branch "bad..name" is not a valid branch name',
    });
  });

  test('a directory that is not a repository, or does not exist, is named in the error', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'fleetplay-nogit-'));
    tmp.push(plain);
    for (const dir of [plain, join(plain, 'missing')]) {
      const r = await currentStage(dir, { env: { GITHUB_REF_NAME: 'main' } });
      expect(r.ok || r.error).toMatchObject({
        code: 'git.not-a-repo',
        file: dir,
        message: `${dir} is not a git repository`,
      });
    }
  });

  test('a repository without commits says so', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fleetplay-empty-'));
    tmp.push(empty);
    sh(empty, 'init', '-q', '-b', 'main');
    const r = await currentStage(empty, { env: {} });
    expect(r.ok || r.error.code).toBe('git.no-commit');
  });
});
