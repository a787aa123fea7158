/**
 * Starts a run of a workflow on a branch (actions/create-workflow-dispatch): how the monitor has
 * the update workflow schedule a stage's next wave once its soak has ended. A run started with
 * GITHUB_TOKEN this way does start (workflow_dispatch is one of the two events GitHub lets that
 * token trigger), on the branch named, so it gets that branch's environment and concurrency group.
 */
import { z } from 'zod';
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { registerSecret } from '../log/index.js';
import { octokitFor, requestFailure } from './client.js';
import { fromActionsEnv } from './env.js';

/** The update workflow's file name in .github/workflows/ (GitHub takes a file name as workflow_id). */
export const UPDATE_WORKFLOW = 'update-fleet.yml';

const Repository = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);

export interface DispatchInput {
  /** GITHUB_TOKEN (needs `actions: write`); when missing nothing is sent. */
  token?: string;
  /** `owner/repo`; when missing nothing is sent. */
  repository?: string;
  /** The workflow file (default update-fleet.yml). */
  workflow?: string;
  /** The branch the run is for. */
  ref: string;
  /** The workflow's workflow_dispatch inputs. */
  inputs?: Record<string, string>;
  baseUrl?: string;
  fetch?: typeof fetch;
}

export type DispatchOutcome = { sent: true; workflow: string; ref: string } | { sent: false; reason: string };

const HINTS: Record<number, string> = {
  401: 'GITHUB_TOKEN is wrong or expired: pass secrets.GITHUB_TOKEN as env GITHUB_TOKEN',
  403: 'the token lacks permission: give the job `permissions: actions: write`',
  404: 'GitHub knows no such workflow in this repository: copy workflows/update-fleet.yml to .github/workflows/ on the default branch',
  422: 'GitHub refused the dispatch: the workflow has no workflow_dispatch trigger, the branch does not exist, or an input is unknown',
};

/**
 * Not retried: a dispatch is no idempotent write (each one starts a run), and the caller tries
 * again at its next look when this one failed.
 */
export async function dispatchWorkflow(input: DispatchInput): Promise<Result<DispatchOutcome>> {
  const workflow = input.workflow ?? UPDATE_WORKFLOW;
  const missing = [input.token ? '' : 'GITHUB_TOKEN', input.repository ? '' : 'GITHUB_REPOSITORY'].filter(Boolean);
  if (missing.length)
    return ok({ sent: false, reason: `${workflow} not started on ${input.ref}: ${missing.join(', ')} not known` });
  registerSecret(input.token);
  if (!Repository.safeParse(input.repository).success)
    return err(
      fleetError('github.bad-repository', `repository "${input.repository}" is not owner/repo`, {
        hint: 'write owner/repo, e.g. acme/fleet',
      }),
    );
  const [owner, repo] = input.repository!.split('/') as [string, string];
  try {
    await octokitFor(input).rest.actions.createWorkflowDispatch({
      owner,
      repo,
      workflow_id: workflow,
      ref: input.ref,
      ...(input.inputs ? { inputs: input.inputs } : {}),
    });
    return ok({ sent: true, workflow, ref: input.ref });
  } catch (e) {
    return err(
      requestFailure(e, {
        code: 'github.dispatch-failed',
        what: `starting ${workflow} on ${input.ref} in ${input.repository}`,
        repository: input.repository!,
        hints: HINTS,
      }),
    );
  }
}

/** A run of update-fleet.yml with mode run on `branch`, with the GitHub Actions job's token and repository. */
export function startUpdateRun(branch: string, env: NodeJS.ProcessEnv, fetch?: typeof globalThis.fetch) {
  const gh = fromActionsEnv(env);
  return dispatchWorkflow({
    token: gh.token,
    repository: gh.repository,
    ref: branch,
    inputs: { mode: 'run' },
    baseUrl: gh.apiUrl,
    fetch,
  });
}
