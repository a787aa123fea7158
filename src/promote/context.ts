/**
 * What `fleetplay promote` and `fleetplay rollback` need before they decide anything: the stage
 * list of the repository, the GitHub repository and token, and how to print a refusal.
 */
import { resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import { err, ExitCode, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { fromActionsEnv } from '../github/index.js';
import type { RepoInput } from '../github/pulls.js';
import { printDiagnostic } from '../log/index.js';
import { loadStageList, type StageList } from '../stage/index.js';

export interface PromotionOptions {
  /** The fleet repository checkout (default: the current directory). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  /** Replaces global fetch for GitHub calls (tests, proxies). */
  fetch?: typeof fetch;
}

export interface PromotionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stages: StageList;
  github: RepoInput;
}

/** Why a command will not go on, and its exit code. */
export interface Refusal {
  error: FleetError | FleetError[];
  code: number;
}

/**
 * The context, or the refusal to print. `precheck` judges the request against the stage list
 * first, so a request the stages refuse is refused before any token is asked for.
 */
export async function promotionContext(
  o: PromotionOptions,
  precheck: (stages: StageList) => Refusal | undefined = () => undefined,
): Promise<Result<PromotionContext, Refusal>> {
  const cwd = resolve(o.cwd ?? process.cwd());
  const env = o.env ?? process.env;
  const stages = loadStageList(cwd);
  if (!stages.ok) return err({ error: stages.error, code: ExitCode.usage });
  const refused = precheck(stages.value);
  if (refused) return err(refused);
  const github = await githubOf(o, cwd, env);
  if (!github.ok) return err({ error: github.error, code: ExitCode.usage });
  return ok({ cwd, env, stdout: o.stdout ?? process.stdout, stages: stages.value, github: github.value });
}

async function githubOf(o: PromotionOptions, cwd: string, env: NodeJS.ProcessEnv): Promise<Result<RepoInput>> {
  const gh = fromActionsEnv(env);
  if (!gh.token)
    return err(
      fleetError('github.no-token', 'GITHUB_TOKEN is not set: pull requests cannot be read or opened', {
        hint: 'export GITHUB_TOKEN=<a token with pull-requests: write and statuses: read> (in a workflow: secrets.GITHUB_TOKEN)',
      }),
    );
  const repository = gh.repository ?? (await repositoryFromOrigin(cwd));
  if (!repository)
    return err(
      fleetError(
        'github.no-repository',
        'which GitHub repository? GITHUB_REPOSITORY is not set and origin is not on GitHub',
        {
          hint: 'export GITHUB_REPOSITORY=owner/repo',
        },
      ),
    );
  return ok({ token: gh.token, baseUrl: gh.apiUrl, repository, ...(o.fetch ? { fetch: o.fetch } : {}) });
}

/** `owner/repo` from origin's URL (https://github.com/owner/repo.git or git@github.com:owner/repo.git). */
async function repositoryFromOrigin(cwd: string): Promise<string | undefined> {
  const url = await simpleGit(cwd)
    .remote(['get-url', 'origin'])
    .catch(() => undefined);
  const m = /github\.com[:/]([^/]+\/[^/]+?)(\.git)?\/?$/.exec(String(url ?? '').trim());
  return m?.[1];
}

/** A refusal or failure: printed once with its hint; the exit code is the caller's. */
export function refuse(
  ctx: Pick<PromotionContext, 'stdout' | 'env'>,
  e: FleetError | FleetError[],
  code: number,
): number {
  for (const x of [e].flat()) printDiagnostic(ctx.stdout, x, { prefix: 'ERROR! ', env: ctx.env });
  return code;
}

export const short = (sha: string) => sha.slice(0, 12);
