/**
 * Branches on the remote, for promotions and rollbacks: fetch the stage branches, walk a stage's
 * first-parent merges, revert one on a new branch and push it. Every call goes through simple-git.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { openRepo, remoteOf } from './index.js';

const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).trim().split('\n')[0] ?? '';

/** Fetches `branches` from the remote; their heads there, by branch. */
export async function fetchBranches(
  dir: string,
  branches: string[],
): Promise<Result<{ remote: string; heads: Record<string, string> }>> {
  const repo = await openRepo(dir);
  if (!repo.ok) return repo;
  const remote = await remoteOf(repo.value, branches[0] ?? 'main');
  if (!remote)
    return err(
      fleetError('git.no-remote', `the repository at ${dir} has no remote`, {
        file: dir,
        hint: 'run in a clone of the fleet repository (git clone …), whose origin is on GitHub',
      }),
    );
  try {
    await repo.value.raw([
      'fetch',
      '--quiet',
      remote,
      ...branches.map((b) => `+refs/heads/${b}:refs/remotes/${remote}/${b}`),
    ]);
  } catch (e) {
    return err(
      fleetError('git.fetch-failed', `cannot fetch ${branches.join(', ')} from ${remote}: ${firstLine(e)}`, {
        file: dir,
        hint: `check that every branch exists on ${remote} (git ls-remote --heads ${remote}) and that it can be reached`,
      }),
    );
  }
  const heads: Record<string, string> = {};
  for (const b of branches) heads[b] = (await repo.value.revparse([`refs/remotes/${remote}/${b}`])).trim();
  return ok({ remote, heads });
}

export interface MergeCommit {
  sha: string;
  /** The first parent: the stage before the merge. */
  before: string;
  /** The second parent: what was merged in. */
  merged: string;
  subject: string;
}

/** The merges on `ref`'s first-parent line, newest first (at most `max`). */
export async function firstParentMerges(dir: string, ref: string, max = 50): Promise<MergeCommit[]> {
  const out = await simpleGit(dir).raw([
    'log',
    '--first-parent',
    '--merges',
    `-n${max}`,
    '--format=%H%x09%P%x09%s',
    ref,
    '--',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha = '', parents = '', ...subject] = line.split('\t');
      const [before = '', merged = ''] = parents.split(' ');
      return { sha, before, merged, subject: subject.join('\t') };
    });
}

/**
 * A new branch `branch` at `base` with `git revert -m 1 <merge>` on it, pushed to `remote`; made in
 * a worktree of its own, so the checkout the command runs in is left as it was. Returns the revert
 * commit.
 */
export async function pushRevert(
  dir: string,
  o: { remote: string; base: string; merge: string; branch: string; message: string },
): Promise<Result<string>> {
  const tree = join(mkdtempSync(join(tmpdir(), 'fleetplay-revert-')), 'tree');
  const git = simpleGit(dir);
  try {
    await git.raw(['worktree', 'add', '--quiet', '-b', o.branch, tree, o.base]);
    const wt = simpleGit(tree);
    // CI runners have no identity configured: the revert is then committed as fleetplay.
    const named = (await wt.raw(['config', '--get', 'user.email']).catch(() => '')).trim() !== '';
    const identity = named ? [] : ['-c', 'user.name=fleetplay', '-c', 'user.email=fleetplay@users.noreply.github.com'];
    await wt.raw([...identity, 'revert', '--no-edit', '-m', '1', o.merge]);
    await wt.raw([...identity, 'commit', '--amend', '--quiet', '-m', o.message]);
    const sha = (await wt.revparse(['HEAD'])).trim();
    await wt.raw(['push', '--quiet', o.remote, `${o.branch}:refs/heads/${o.branch}`]);
    return ok(sha);
  } catch (e) {
    return err(
      fleetError(
        'git.revert-failed',
        `cannot revert ${o.merge.slice(0, 12)} on a branch ${o.branch}: ${firstLine(e)}`,
        {
          file: dir,
          hint: `revert by hand: git switch -c ${o.branch} ${o.remote}/… && git revert -m 1 ${o.merge.slice(0, 12)} && git push ${o.remote} ${o.branch}`,
        },
      ),
    );
  } finally {
    await git.raw(['worktree', 'remove', '--force', tree]).catch(() => undefined);
    await git.raw(['branch', '-D', o.branch]).catch(() => undefined);
    rmSync(join(tree, '..'), { recursive: true, force: true });
  }
}
