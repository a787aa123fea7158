/**
 * `fleetplay rollback --stage canary`: the revert pull request for a stage whose last promotion
 * failed. It finds the last promotion merge on the stage's first-parent line (a merge of a commit
 * of the stage below), reverts it (`git revert -m 1`) on a branch of its own pushed to the remote,
 * and opens the pull request into the stage, saying what it reverts and why. Merging it restores
 * the stage's tree from before that promotion, so the next run and monitor turn it green again.
 */
import { ExitCode, fleetError } from '../errors/index.js';
import { simpleGit } from 'simple-git';
import { isAncestor } from '../git/trees.js';
import { fetchBranches, firstParentMerges, pushRevert, type MergeCommit } from '../git/branches.js';
import { statusContext } from '../github/index.js';
import { createPull, findOpenPull } from '../github/pulls.js';
import { latestStatus, type FoundStatus } from './guard.js';
import { promotionContext, refuse, short, type PromotionOptions } from './context.js';

export interface RollbackOptions extends PromotionOptions {
  stage: string;
}

/** Exit codes: 0 opened (or already open), 1 refused (green or unknown stage, nothing to revert) or failed. */
export async function rollback(o: RollbackOptions): Promise<number> {
  const stage = o.stage;
  const c = await promotionContext(o, (stages) =>
    stages.below(stage) === undefined
      ? {
          code: ExitCode.usage,
          error: fleetError(
            'rollback.not-a-stage',
            `${stage} takes no promotions: the stages are ${stages.toString()}`,
            {
              hint: `roll back a stage above ${stages.names[0] ?? 'the first'}, e.g. --stage ${stages.names[1] ?? 'canary'}`,
            },
          ),
        }
      : undefined,
  );
  if (!c.ok)
    return refuse({ stdout: o.stdout ?? process.stdout, env: o.env ?? process.env }, c.error.error, c.error.code);
  const ctx = c.value;
  const below = ctx.stages.below(stage);
  if (below === undefined) return ExitCode.usage;
  const fetched = await fetchBranches(ctx.cwd, [stage, below]);
  if (!fetched.ok) return refuse(ctx, fetched.error, ExitCode.usage);
  const { remote, heads } = fetched.value;
  const head = heads[stage];
  const status = await latestStatus({ ...ctx.github, source: stage, sha: head }, statusContext(stage)).then(
    (v) => ({ ok: true as const, value: v }),
    (e: unknown) => ({ ok: false as const, error: e }),
  );
  if (!status.ok)
    return refuse(
      ctx,
      fleetError(
        'rollback.status-unreadable',
        `cannot read ${statusContext(stage)} on ${short(head)}: ${String(status.error)}`,
        {
          hint: 'check GITHUB_TOKEN (statuses: read), GITHUB_REPOSITORY and GITHUB_API_URL',
        },
      ),
      ExitCode.usage,
    );
  const why = failing(status.value, stage, head);
  if (!why.ok) return refuse(ctx, why.error, ExitCode.usage);
  const merge = await lastPromotion(ctx.cwd, `refs/remotes/${remote}/${stage}`, heads[below]);
  if (!merge)
    return refuse(
      ctx,
      fleetError('rollback.nothing', `nothing to revert: ${stage} has no promotion merge from ${below}`, {
        hint: 'a change committed straight to the stage is reverted by hand (git revert <commit>)',
      }),
      ExitCode.usage,
    );
  const branch = `rollback/${stage}-${short(merge.sha)}`;
  const open = await findOpenPull({ ...ctx.github, head: branch, base: stage });
  if (!open.ok) return refuse(ctx, open.error, ExitCode.usage);
  if (open.value) {
    ctx.stdout.write(`the rollback pull request of ${stage} is already open: ${open.value.url}\n`);
    return ExitCode.ok;
  }
  const reason = `${statusContext(stage)} is ${why.value.state} on ${short(head)}${why.value.description ? `: ${why.value.description}` : ''}`;
  const title = `Roll back ${stage}: revert "${merge.subject}"`;
  const pushed = await pushRevert(ctx.cwd, {
    remote,
    base: head,
    merge: merge.sha,
    branch,
    message: `${title}\n\n${reason}.\nThis reverts merge commit ${merge.sha}, back to ${stage}'s tree at ${merge.before}.`,
  });
  if (!pushed.ok) return refuse(ctx, pushed.error, ExitCode.usage);
  const pr = await createPull({
    ...ctx.github,
    head: branch,
    base: stage,
    title,
    body: body(stage, below, merge, why.value, reason),
  });
  if (!pr.ok) return refuse(ctx, pr.error, ExitCode.usage);
  ctx.stdout.write(`opened the rollback pull request of ${stage} (reverts ${short(merge.sha)}): ${pr.value.url}\n`);
  return ExitCode.ok;
}

/** The status that makes a rollback worth it (failure or error), or why not. */
function failing(
  s: FoundStatus | undefined,
  stage: string,
  head: string,
): { ok: true; value: FoundStatus } | { ok: false; error: ReturnType<typeof fleetError> } {
  if (s && (s.state === 'failure' || s.state === 'error')) return { ok: true, value: s };
  const context = statusContext(stage);
  const now = s ? `${context} is ${s.state}` : `${context} is not set`;
  return {
    ok: false,
    error: fleetError(
      'rollback.not-failed',
      `refused: ${now} on ${stage} at ${short(head)}; a rollback is for a stage whose last promotion failed`,
      {
        hint:
          s?.state === 'pending'
            ? `wait for the monitor of ${stage} to decide`
            : `nothing to roll back while ${stage} is not red`,
      },
    ),
  };
}

/** The newest merge on the stage's first-parent line that merged a commit of the stage below. */
async function lastPromotion(cwd: string, stageRef: string, belowHead: string): Promise<MergeCommit | undefined> {
  for (const m of await firstParentMerges(cwd, stageRef))
    if (await isAncestor(simpleGit(cwd), m.merged, belowHead)) return m;
  return undefined;
}

function body(stage: string, below: string, m: MergeCommit, s: FoundStatus, reason: string): string {
  const link = s.target_url ? ` ([monitor](${s.target_url}))` : '';
  return [
    `Rolls \`${stage}\` back: reverts the promotion merge \`${short(m.sha)}\` ("${m.subject}", \`${below}\` at \`${short(m.merged)}\`).`,
    '',
    `**Why:** ${reason}${link}.`,
    '',
    `Merging it restores \`${stage}\`'s tree from before that promotion (\`${short(m.before)}\`); the next run schedules it and the monitor follows.`,
    `\`${below}\` still holds the change: fix or revert it there before promoting again.`,
    '',
    'Opened by `fleetplay rollback`.',
    '',
  ].join('\n');
}
