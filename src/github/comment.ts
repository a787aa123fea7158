/**
 * One comment per pull request that fleetplay keeps up to date: a hidden marker in its body finds
 * it again on the next push, so a pull request never collects a second one.
 */
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { maskSecrets, registerSecret } from '../log/index.js';
import { octokitFor, requestFailure, withRetries, type ClientInput } from './client.js';

/** GitHub refuses an issue comment body longer than this (characters). */
export const MAX_COMMENT = 65536;

export interface CommentInput extends ClientInput {
  /** `owner/repo` of the pull request's base repository. */
  repository: string;
  /** The pull request's number (an issue number to the comments API). */
  issueNumber: number;
  /** The hidden line that marks the comment as ours, e.g. `<!-- fleetplay-plan -->`. */
  marker: string;
  /** Must contain the marker; masked before it is sent. */
  body: string;
  /** Waits before each retry after a 5xx or a network failure; default [1000, 4000]. */
  retryDelaysMs?: number[];
}

export type CommentOutcome = { action: 'created' | 'updated'; id: number; url: string };

/** Updates the pull request's comment carrying the marker, or creates it when there is none. */
export async function upsertComment(input: CommentInput): Promise<Result<CommentOutcome>> {
  registerSecret(input.token);
  const [owner = '', repo = ''] = input.repository.split('/');
  const body = maskSecrets(input.body);
  if (!body.includes(input.marker))
    return err(fleetError('github.comment-marker', `the comment body lacks its marker ${input.marker}`));
  const octokit = octokitFor(input);
  const delays = input.retryDelaysMs ?? [1000, 4000];
  const where = { owner, repo };
  const found = await withRetries(() => findMarked(octokit, where, input.issueNumber, input.marker), delays);
  if (!found.ok) return err(commentFailure(found.error, 'read the comments of', input));
  const id = found.value;
  // Only the id and link of the answer are read: both operations answer an issue-comment.
  const send = async () =>
    id !== undefined
      ? (await octokit.rest.issues.updateComment({ ...where, comment_id: id, body })).data
      : (await octokit.rest.issues.createComment({ ...where, issue_number: input.issueNumber, body })).data;
  const res = await withRetries(send, delays);
  if (!res.ok) return err(commentFailure(res.error, id !== undefined ? 'update the comment on' : 'comment on', input));
  return ok({ action: id !== undefined ? 'updated' : 'created', id: res.value.id, url: res.value.html_url });
}

type Octokit = ReturnType<typeof octokitFor>;

/** The id of the first comment holding the marker; every page is read (100 comments each) until it shows. */
async function findMarked(
  octokit: Octokit,
  where: { owner: string; repo: string },
  issueNumber: number,
  marker: string,
): Promise<number | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...where,
    issue_number: issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    const mine = page.data.find((c) => c.body?.includes(marker));
    if (mine) return mine.id;
  }
  return undefined;
}

const HINTS: Record<number, string> = {
  401: 'GITHUB_TOKEN is wrong or expired: pass secrets.GITHUB_TOKEN as env GITHUB_TOKEN',
  403: 'the token may not write to pull requests: give the workflow `permissions: pull-requests: write`; pull requests from forks get a read-only token on public repositories (the plan is still in the job summary)',
  404: 'the repository or pull request is unknown to GitHub, or the token cannot see it: check GITHUB_REPOSITORY and the event',
  422: 'GitHub refused the comment (too long, or a bad field)',
};

function commentFailure(e: unknown, what: string, input: CommentInput): FleetError {
  return requestFailure(e, {
    code: 'github.comment-failed',
    what: `could not ${what} pull request #${input.issueNumber} of ${input.repository}`,
    repository: input.repository,
    hints: HINTS,
  });
}
