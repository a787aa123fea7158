import { z } from 'zod';
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { maskSecrets, registerSecret } from '../log/index.js';
import { httpStatus, octokitFor, withRetries } from './client.js';

/** GitHub refuses longer descriptions, so we cut before sending rather than lose the status. */
export const MAX_DESCRIPTION = 140;

export const CommitState = z.enum(['pending', 'success', 'failure', 'error']);
export type CommitState = z.infer<typeof CommitState>;

const Repository = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'write owner/repo, e.g. acme/fleet');
const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/i, 'write the full commit sha (40 hex digits)');

export interface CommitStatusInput {
  /** GITHUB_TOKEN; when missing nothing is sent. */
  token?: string;
  /** `owner/repo`; when missing nothing is sent. */
  repository?: string;
  /** The deployed commit; when missing nothing is sent. */
  sha?: string;
  /** Stage branch: the status context is `fleetplay/<branch>`. */
  branch: string;
  state: CommitState;
  /** Cut to 140 characters. */
  description: string;
  targetUrl?: string;
  /** REST API root; default https://api.github.com (pass `fromActionsEnv().apiUrl` in Actions). */
  baseUrl?: string;
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** Waits before each retry after a 5xx or a network failure; default [1000, 4000] (3 attempts). */
  retryDelaysMs?: number[];
}

export type StatusOutcome =
  | { sent: true; context: string; state: CommitState; id: number; url: string }
  /** Nothing was sent; `reason` is the sentence to log (once). */
  | { sent: false; context: string; reason: string };

export const statusContext = (branch: string): string => `fleetplay/${branch}`;

/** Cuts on characters, not UTF-16 units, so an emoji or umlaut at the cut is never split. */
export function statusDescription(text: string): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= MAX_DESCRIPTION ? chars.join('') : `${chars.slice(0, MAX_DESCRIPTION - 1).join('')}…`;
}

/** "5 converged, 1 failed, 2 in progress" — states with zero devices are left out. */
export function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`);
  return statusDescription(parts.length ? parts.join(', ') : 'no devices subscribed');
}

/** Sets `fleetplay/<branch>` on the commit, or says why nothing was sent. */
export async function setCommitStatus(input: CommitStatusInput): Promise<Result<StatusOutcome>> {
  const context = statusContext(input.branch);
  const missing = missingParts(input);
  if (missing.length)
    return ok({ sent: false, context, reason: `commit status ${context} not sent: ${missing.join(', ')} not known` });
  registerSecret(input.token);
  const checked = checkTarget(input);
  if (!checked.ok) return checked;
  const [owner, repo] = checked.value.repository.split('/') as [string, string];
  const octokit = octokitFor(input);
  const send = () =>
    octokit.rest.repos.createCommitStatus({
      owner,
      repo,
      sha: checked.value.sha,
      state: input.state,
      context,
      description: statusDescription(input.description),
      ...(input.targetUrl ? { target_url: input.targetUrl } : {}),
    });
  const res = await withRetries(send, input.retryDelaysMs ?? RETRY_DELAYS_MS);
  if (!res.ok) return err(requestFailure(res.error, context, checked.value.repository));
  return ok({ sent: true, context, state: input.state, id: res.value.data.id, url: res.value.data.url });
}

const RETRY_DELAYS_MS = [1000, 4000];

function missingParts(input: CommitStatusInput): string[] {
  const missing: string[] = [];
  if (!input.token) missing.push('GITHUB_TOKEN');
  if (!input.repository) missing.push('GITHUB_REPOSITORY');
  if (!input.sha) missing.push('the deployed commit');
  return missing;
}

function checkTarget(input: CommitStatusInput): Result<{ repository: string; sha: string }> {
  if (!CommitState.safeParse(input.state).success) {
    return err(
      fleetError(
        'github.bad-state',
        `commit status state "${input.state}" is not one of ${CommitState.options.join(', ')}`,
      ),
    );
  }
  const repo = Repository.safeParse(input.repository);
  if (!repo.success) {
    return err(
      fleetError('github.bad-repository', `repository "${input.repository}" is not owner/repo`, {
        hint: 'write owner/repo, e.g. acme/fleet',
      }),
    );
  }
  const sha = Sha.safeParse(input.sha);
  if (!sha.success) {
    return err(
      fleetError('github.bad-sha', `"${input.sha}" is not a full commit sha`, {
        hint: 'pass the 40-digit sha of the deployed commit',
      }),
    );
  }
  return ok({ repository: repo.data, sha: sha.data.toLowerCase() });
}

const HINTS: Record<number, string> = {
  401: 'GITHUB_TOKEN is wrong or expired: pass secrets.GITHUB_TOKEN (or a token of the repository) as env GITHUB_TOKEN',
  403: 'the token lacks permission: give the workflow `permissions: statuses: write`',
  404: 'the repository or commit is unknown to GitHub, or the token cannot see it: check GITHUB_REPOSITORY and that the commit was pushed',
  422: 'GitHub refused the status (too many statuses on this commit and context, or a bad field)',
};

/** Turns an octokit RequestError (or a network failure) into a FleetError; never carries the token. */
function requestFailure(e: unknown, context: string, repository: string): ReturnType<typeof fleetError> {
  const status = httpStatus(e);
  const why = maskSecrets(e instanceof Error ? e.message : String(e));
  return fleetError(
    'github.status-failed',
    `commit status ${context} on ${repository} failed: ${status ? `HTTP ${status} ` : ''}${why}`,
    {
      hint: (status ? HINTS[status] : undefined) ?? 'check GITHUB_API_URL and that GitHub is reachable from the runner',
      context: { status, repository },
    },
  );
}

/**
 * For callers that publish repeatedly (monitor --wait): the reason nothing is sent is handed out the
 * first time only, so the log says it once.
 */
export function statusPublisher(base: Omit<CommitStatusInput, 'state' | 'description'>) {
  let said = false;
  return async (state: CommitState, description: string): Promise<Result<StatusOutcome & { firstNotice: boolean }>> => {
    const r = await setCommitStatus({ ...base, state, description });
    if (!r.ok) return r;
    const firstNotice = !r.value.sent && !said;
    if (!r.value.sent) said = true;
    return ok({ ...r.value, firstNotice });
  };
}
