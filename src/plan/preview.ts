/**
 * `fleetplay plan --comment`: the plan of a pull request into a stage branch, run on the merged
 * tree that the workflow checked out. It lists the stage moves, added and removed devices (the
 * inventory against the base branch's), the hosts that would fail and the devices that change;
 * prints it, appends it to the job summary and keeps it as one comment on the pull request.
 * Without secrets (a fork, no OTA token) the plan comes from the repository alone (offline.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import { ExitCode, err, fleetError, formatError, ok, type FleetError, type Result } from '../errors/index.js';
import { appendStepSummary, fromActionsEnv } from '../github/index.js';
import { upsertComment } from '../github/comment.js';
import { pullRequestFromEnv, type PullRequestContext } from '../github/event.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import { log, printDiagnostic } from '../log/index.js';
import { PLAN_MARKER, renderComment, type CommentInput } from './comment.js';
import { planDryRun, type DryRunOptions } from './dry-run.js';
import { desiredState, repositoryPlan } from './offline.js';
import { inventoryChanges } from './stages.js';
import { DEFAULT_PLAYBOOK, fleetPlaybook, loadStageList, notAStage } from '../stage/index.js';

export interface PreviewOptions extends DryRunOptions {
  playbook: string;
  inventory: string[];
  /** The commit the pull request merges into; default: the merge commit's first parent, else the event's base sha. */
  base?: string;
  stdout?: NodeJS.WritableStream;
}

export async function previewPullRequest(o: PreviewOptions): Promise<number> {
  const stdout = o.stdout ?? process.stdout;
  const env = o.env ?? process.env;
  const fail = (e: FleetError | FleetError[]) => {
    for (const x of [e].flat()) printDiagnostic(stdout, x, { prefix: 'ERROR! ', env });
    return ExitCode.usage;
  };
  const pr = pullRequestFromEnv(env);
  if (!pr.ok) return fail(pr.error);
  const cwd = resolve(o.cwd ?? process.cwd());
  const stages = loadStageList(cwd);
  if (!stages.ok) return fail(stages.error);
  const branch = o.branch ?? pr.value.baseRef;
  if (!stages.value.has(branch)) {
    if (o.branch !== undefined) return fail(notAStage(branch, stages.value));
    stdout.write(
      `fleetplay: ${notAStage(branch, stages.value).message}: no plan for pull request #${pr.value.number}\n`,
    );
    return ExitCode.ok;
  }
  const base = await baseCommit(cwd, o.base, pr.value);
  if (!base.ok) return fail(base.error);
  const tree = await baseTree(cwd, base.value);
  if (!tree.ok) return fail(tree.error);
  try {
    const pb = fleetPlaybook(o.playbook, cwd);
    if (pb.note) process.stderr.write(pb.note);
    const paths = { playbook: pb.path, inventory: o.inventory.map((p) => resolve(cwd, p)) };
    const inBase = (p: string) => join(tree.value, relative(cwd, p));
    // The base tree's own playbook, or the package's when it has none either.
    const basePlaybook = o.playbook === DEFAULT_PLAYBOOK ? fleetPlaybook(o.playbook, tree.value).path : inBase(pb.path);
    const inventories = loadBoth(paths.inventory, paths.inventory.map(inBase));
    if (!inventories.ok) return fail(inventories.error);
    const run = { ...o, ...paths, cwd, env, branch };
    const reason = withoutSecrets(pr.value, env);
    const planned = reason
      ? await fromRepository(run, {
          ...run,
          cwd: tree.value,
          playbook: basePlaybook,
          inventory: paths.inventory.map(inBase),
        })
      : await fromServer(run);
    const body = renderComment({
      ...planned,
      changes: inventoryChanges(inventories.value.base, inventories.value.head),
      branch: run.branch,
      pullRequest: pr.value.number,
      repositoryOnly: reason,
      commit: await headCommit(cwd),
    });
    stdout.write(body);
    const summary = await appendStepSummary(body, env);
    if (!summary.ok) log.warn(formatError(summary.error));
    const posted = await postComment(pr.value, body, env);
    return posted ? planned.exitCode : ExitCode.usage;
  } finally {
    await removeTree(cwd, tree.value);
  }
}

export type Planned = Pick<CommentInput, 'plan' | 'failures'> & { exitCode: number };

export async function fromServer(run: PreviewOptions & { branch: string }): Promise<Planned> {
  const r = await planDryRun(run);
  return { plan: r.plan, failures: r.failures, exitCode: r.result.exitCode };
}

export async function fromRepository(head: PreviewOptions, base: PreviewOptions): Promise<Planned> {
  const before = await desiredState(base);
  const after = await desiredState(head);
  return { plan: repositoryPlan(before, after), failures: after.failures, exitCode: after.exitCode };
}

/** Why live device state cannot be read, or undefined when it can. */
function withoutSecrets(pr: PullRequestContext, env: NodeJS.ProcessEnv): string | undefined {
  if (pr.fork) return 'This pull request comes from a fork, and GitHub gives pull requests from forks no secrets.';
  if (!env.MENDER_ACCESS_TOKEN?.trim()) return 'This job was given no MENDER_ACCESS_TOKEN.';
  return undefined;
}

/** Posts or updates the comment; false when GitHub refused it (a fork's read-only token only warns). */
async function postComment(pr: PullRequestContext, body: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const gh = fromActionsEnv(env);
  if (!gh.token) {
    log.warn(`plan not posted on pull request #${pr.number}: GITHUB_TOKEN is not set`);
    return true;
  }
  const r = await upsertComment({
    token: gh.token,
    baseUrl: gh.apiUrl,
    repository: pr.repository,
    issueNumber: pr.number,
    marker: PLAN_MARKER,
    body,
  });
  if (r.ok) {
    log.info(`plan comment ${r.value.action} on pull request #${pr.number}: ${r.value.url}`);
    return true;
  }
  const readOnly = pr.fork && r.error.context?.status === 403;
  (readOnly ? log.warn : log.error)(formatError(r.error));
  return readOnly;
}

async function baseCommit(cwd: string, given: string | undefined, pr: PullRequestContext): Promise<Result<string>> {
  if (given) return ok(given);
  // The merge ref's first parent is the base branch as GitHub merged it; the event's sha may be older.
  const parents = await simpleGit(cwd)
    .raw(['rev-list', '--parents', '-n', '1', 'HEAD'])
    .catch(() => '');
  const first = parents.trim().split(/\s+/);
  return ok(first.length >= 3 ? first[1] : pr.baseSha);
}

export async function baseTree(cwd: string, commit: string): Promise<Result<string>> {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleetplay-base-')), 'tree');
  try {
    await simpleGit(cwd).raw(['worktree', 'add', '--detach', '--quiet', dir, commit]);
    return ok(dir);
  } catch (e) {
    return err(
      fleetError('plan.no-base', `cannot check out the base commit ${commit}: ${(e as Error).message.trim()}`, {
        hint: 'check out the pull request with its base (actions/checkout with fetch-depth: 2 checks out the merge commit and its parents), or pass --base REF',
      }),
    );
  }
}

export async function removeTree(cwd: string, dir: string): Promise<void> {
  await simpleGit(cwd)
    .raw(['worktree', 'remove', '--force', dir])
    .catch(() => undefined);
  rmSync(join(dir, '..'), { recursive: true, force: true });
}

const headCommit = (cwd: string): Promise<string | undefined> =>
  simpleGit(cwd)
    .revparse(['HEAD'])
    .then((s) => s.trim())
    .catch(() => undefined);

export function loadBoth(head: string[], base: string[]): Result<{ head: Inventory; base: Inventory }, FleetError[]> {
  const h = loadInventory(head);
  if (!h.ok) return h;
  const b = loadInventory(base);
  if (!b.ok) return b;
  return ok({ head: h.value, base: b.value });
}
