import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGit } from 'simple-git';
import { z } from 'zod';
import { err, fleetError, ok, type Result } from '../errors/index.js';

/** Where the orchestrator stands: the stage branch it runs for and the commit it deploys. */
export interface Stage {
  branch: string;
  commit: string;
  /** HEAD is not on a branch (the usual state of a CI checkout of a sha). */
  detached: boolean;
}

export interface StageOptions {
  /** `--branch`: wins over everything git or the environment say. */
  branch?: string;
  /** Environment to read GITHUB_REF_NAME / GITHUB_REF_TYPE / GITHUB_SHA from; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/** The part of the GitHub Actions environment that names the checked-out ref. */
const ActionsRefEnv = z.object({
  GITHUB_REF_NAME: z.string().min(1).optional().catch(undefined),
  GITHUB_REF_TYPE: z.string().optional().catch(undefined),
  GITHUB_SHA: z.string().optional().catch(undefined),
});
type ActionsRef = z.infer<typeof ActionsRefEnv>;

/** Current stage branch and commit of the repository at `dir`. */
export async function currentStage(dir: string, opts: StageOptions = {}): Promise<Result<Stage>> {
  const git = await openRepo(dir);
  if (!git.ok) return git;
  const commit = await headCommit(git.value, dir);
  if (!commit.ok) return commit;
  const onBranch = await symbolicBranch(git.value);
  const detached = onBranch === undefined;
  if (opts.branch !== undefined) {
    const name = await validBranchName(git.value, opts.branch);
    return name.ok ? ok({ branch: name.value, commit: commit.value, detached }) : name;
  }
  if (onBranch !== undefined) return ok({ branch: onBranch, commit: commit.value, detached: false });
  const fromEnv = branchFromActions(ActionsRefEnv.parse(opts.env ?? process.env), commit.value, dir);
  return fromEnv.ok ? ok({ branch: fromEnv.value, commit: commit.value, detached: true }) : fromEnv;
}

export async function openRepo(dir: string): Promise<Result<SimpleGit>> {
  const notRepo = fleetError('git.not-a-repo', `${dir} is not a git repository`, {
    file: dir,
    hint: 'run fleetplay inside the fleet repository checkout, or clone it first (actions/checkout in a workflow)',
  });
  // simple-git throws synchronously on a missing directory; report it like any other non-repository.
  if (!existsSync(dir)) return err(notRepo);
  const git = simpleGit(dir);
  const inside = await git.raw(['rev-parse', '--is-inside-work-tree']).catch(() => 'false');
  return inside.trim() === 'true' ? ok(git) : err(notRepo);
}

async function headCommit(git: SimpleGit, dir: string): Promise<Result<string>> {
  try {
    return ok((await git.revparse(['--verify', 'HEAD^{commit}'])).trim());
  } catch {
    return err(
      fleetError('git.no-commit', `the repository at ${dir} has no commit yet`, {
        file: dir,
        hint: 'commit the inventory and playbooks first: git add . && git commit -m "fleet"',
      }),
    );
  }
}

/** The branch HEAD points to, or undefined when HEAD is detached. */
async function symbolicBranch(git: SimpleGit): Promise<string | undefined> {
  const name = await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '');
  return name.trim() || undefined;
}

/** Git itself decides what a branch name may be, so `--branch` gets exactly git's rules. */
async function validBranchName(git: SimpleGit, name: string): Promise<Result<string>> {
  const checked = await git.raw(['check-ref-format', '--branch', name]).catch(() => undefined);
  if (checked?.trim()) return ok(checked.trim());
  return err(
    fleetError('git.bad-branch', `--branch "${name}" is not a valid branch name`, {
      hint: 'write a branch name; fleetplay stages lists the stage branches',
    }),
  );
}

/**
 * A detached HEAD carries no branch; in GitHub Actions the ref that triggered the run says which one.
 * GITHUB_REF_NAME describes GITHUB_SHA, so it is trusted only when that is the commit checked out.
 */
function branchFromActions(env: ActionsRef, commit: string, dir: string): Result<string> {
  const hint = 'pass --branch <stage branch>, or check out the branch (git checkout <branch>)';
  if (!env.GITHUB_REF_NAME) {
    return err(
      fleetError('git.no-branch', `HEAD is detached at ${commit.slice(0, 12)} in ${dir} and no branch is known`, {
        file: dir,
        hint,
      }),
    );
  }
  if (env.GITHUB_REF_TYPE && env.GITHUB_REF_TYPE !== 'branch') {
    return err(
      fleetError(
        'git.no-branch',
        `the workflow was triggered by ${env.GITHUB_REF_TYPE} ${env.GITHUB_REF_NAME}, not a branch`,
        { file: dir, hint },
      ),
    );
  }
  if (env.GITHUB_SHA && env.GITHUB_SHA.toLowerCase() !== commit.toLowerCase()) {
    return err(
      fleetError(
        'git.no-branch',
        `HEAD is detached at ${commit.slice(0, 12)}, but GITHUB_REF_NAME=${env.GITHUB_REF_NAME} describes GITHUB_SHA=${env.GITHUB_SHA.slice(0, 12)}`,
        { file: dir, hint },
      ),
    );
  }
  return ok(env.GITHUB_REF_NAME);
}

const REMOTE_TIMEOUT_MS = 60_000;

/** Where a branch stands on its remote: the remote asked, and the branch's head there (none when deleted). */
export interface RemoteHead {
  remote: string;
  /** The branch's commit on the remote; undefined when the remote has no such branch. */
  commit?: string;
}

/**
 * The head of `branch` on its remote (the branch's configured remote, else `origin`, else the only
 * remote), asked with `git ls-remote`. Ok(undefined) when the repository has no remote at all: a
 * local repository has nothing to move under it.
 */
export async function remoteHead(dir: string, branch: string): Promise<Result<RemoteHead | undefined>> {
  const repo = await openRepo(dir);
  if (!repo.ok) return repo;
  // A remote that stops answering is an answer too (unreachable), not a run that hangs before its writes.
  const git = simpleGit(dir, { timeout: { block: REMOTE_TIMEOUT_MS } });
  const remote = await remoteOf(git, branch);
  if (!remote) return ok(undefined);
  try {
    const out = await git.listRemote(['--heads', remote, `refs/heads/${branch}`]);
    const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
    return ok({ remote, commit: line?.split('\t')[0] });
  } catch (e) {
    const why = (e as Error).message.trim().split('\n')[0] ?? '';
    return err(
      fleetError('git.remote-unreachable', `cannot ask remote "${remote}" where ${branch} stands: ${why}`, {
        file: dir,
        context: { remote, branch },
      }),
    );
  }
}

/** The remote a branch is read from: its configured remote, else `origin`, else the only remote. */
export async function remoteOf(git: SimpleGit, branch: string): Promise<string | undefined> {
  const configured = await git.raw(['config', '--get', `branch.${branch}.remote`]).catch(() => '');
  if (configured.trim() && configured.trim() !== '.') return configured.trim();
  const remotes = (await git.getRemotes()).map((r) => r.name);
  return remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined;
}
