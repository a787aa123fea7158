/**
 * The pull request a `pull_request` workflow runs for, from the event payload GitHub Actions
 * writes to GITHUB_EVENT_PATH: its number, the stage branch it merges into, and whether it comes
 * from a fork (then the job gets no secrets).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { err, fleetError, ok, type Result } from '../errors/index.js';

const Repo = z.object({ full_name: z.string() });

const PullRequestEvent = z.object({
  pull_request: z.object({
    number: z.number().int().positive(),
    base: z.object({ ref: z.string(), sha: z.string(), repo: Repo }),
    // A head repository deleted since the PR was opened is null: it was a fork.
    head: z.object({ ref: z.string(), sha: z.string(), repo: Repo.nullable() }),
  }),
});

export interface PullRequestContext {
  number: number;
  /** `owner/repo` the pull request merges into: where the comment goes. */
  repository: string;
  /** The stage branch the pull request merges into. */
  baseRef: string;
  baseSha: string;
  /** The branch the pull request brings in (in `headRepository`). */
  headRef: string;
  headSha: string;
  /** `owner/repo` the head branch lives in; null when that repository was deleted. */
  headRepository: string | null;
  /** The head branch lives in another repository. */
  fork: boolean;
}

/** The pull request of the running workflow, or why there is none. */
export function pullRequestFromEnv(env: NodeJS.ProcessEnv = process.env): Result<PullRequestContext> {
  const path = env.GITHUB_EVENT_PATH?.trim();
  const hint = 'run it from a workflow triggered by pull_request (workflows/plan-preview.yml), or leave out --comment';
  if (!path) return err(fleetError('github.no-event', 'GITHUB_EVENT_PATH is not set: no pull request known', { hint }));
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return err(
      fleetError('github.bad-event', `cannot read the event payload: ${(e as Error).message}`, { file: path, hint }),
    );
  }
  const parsed = PullRequestEvent.safeParse(raw);
  if (!parsed.success)
    return err(
      fleetError('github.not-a-pull-request', 'the event payload is not a pull request event', { file: path, hint }),
    );
  const pr = parsed.data.pull_request;
  return ok({
    number: pr.number,
    repository: pr.base.repo.full_name,
    baseRef: pr.base.ref,
    baseSha: pr.base.sha,
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    headRepository: pr.head.repo?.full_name ?? null,
    fork: pr.head.repo?.full_name !== pr.base.repo.full_name,
  });
}
