/**
 * What merging one branch into another would land, asked of git without a work tree or index
 * (`git merge-tree --write-tree`, git ≥ 2.38): the promotion guard's "unmodified" check.
 * simple-git resolves exit code 1 without stderr as success, so answers are read from stdout only.
 */
import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGit } from 'simple-git';
import { err, fleetError, ok, type Result } from '../errors/index.js';

export interface CommitLine {
  sha: string;
  /** Abbreviated as git abbreviates it in this repository. */
  short: string;
  subject: string;
}

export interface MergeResult {
  /** The tree the merge writes (with conflict markers when it conflicts). */
  tree: string;
  /** Paths git could not merge by itself; empty when the merge is clean. */
  conflicts: string[];
}

export function repoAt(dir: string): Result<SimpleGit> {
  // simple-git throws synchronously on a missing directory.
  if (!existsSync(dir)) return err(fleetError('git.not-a-repo', `${dir} is not a git repository`, { file: dir }));
  return ok(simpleGit(dir));
}

/** The commit `ref` names, or undefined when the repository does not hold it. */
export async function commitOf(git: SimpleGit, ref: string): Promise<string | undefined> {
  const out = await git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '');
  return out.trim() || undefined;
}

export async function treeOf(git: SimpleGit, commit: string): Promise<string> {
  return (await git.raw(['rev-parse', '--verify', `${commit}^{tree}`])).trim();
}

/** `a` is an ancestor of (or equal to) `b`: merging `b` into `a` is a fast-forward. */
export async function isAncestor(git: SimpleGit, a: string, b: string): Promise<boolean> {
  const base = await git.raw(['merge-base', a, b]).catch(() => '');
  return base.trim() === a;
}

/** The tree a merge of `head` into `base` writes, and the paths that conflict. */
export async function mergeTree(git: SimpleGit, base: string, head: string): Promise<Result<MergeResult>> {
  let out: string;
  try {
    out = await git.raw(['merge-tree', '--write-tree', '--name-only', '--no-messages', base, head]);
  } catch (e) {
    return err(
      fleetError('git.merge-tree', `git could not compute the merge of ${head} into ${base}: ${(e as Error).message}`, {
        hint: 'fleetplay guard needs git 2.38 or newer (git merge-tree --write-tree)',
      }),
    );
  }
  const [tree = '', ...conflicts] = out.split('\n').filter((l) => l.trim() !== '');
  return ok({ tree: tree.trim(), conflicts });
}

/**
 * Commits of `base` whose change `head` lacks: not reachable from `head` and no commit of `head`
 * carries the same patch (a cherry-pick counts as brought back). Merge commits are left out: they
 * name no change of their own. Oldest first, the order to cherry-pick them in.
 */
export async function commitsMissingFrom(git: SimpleGit, head: string, base: string): Promise<CommitLine[]> {
  const out = await git.raw([
    'log',
    '--no-merges',
    '--cherry-pick',
    '--right-only',
    '--reverse',
    '--format=%H%x09%h%x09%s',
    `${head}...${base}`,
  ]);
  return out
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [sha = '', short = '', ...subject] = l.split('\t');
      return { sha, short, subject: subject.join('\t') };
    });
}

/** Paths whose content differs between two trees. */
export async function pathsDiffering(git: SimpleGit, a: string, b: string): Promise<string[]> {
  const out = await git.raw(['diff', '--name-only', '--no-renames', a, b]);
  return out.split('\n').filter((l) => l.trim() !== '');
}
