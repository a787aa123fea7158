/**
 * The promotion guard's three checks (docs/github.md, "Promotion guard"), each a refusal with
 * one message and a hint, or nothing:
 * - order: the base is a stage and the head is the stage just below it, of the same repository;
 * - green: the head commit carries `fleetplay/<source stage>` = success;
 * - unmodified: merging the head into the base lands exactly the head's tree.
 */
import type { SimpleGit } from 'simple-git';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { octokitFor, withRetries, type ClientInput } from '../github/client.js';
import { statusContext } from '../github/status.js';
import { commitsMissingFrom, isAncestor, mergeTree, pathsDiffering, treeOf, type CommitLine } from '../git/trees.js';
import { maskSecrets } from '../log/index.js';
import type { StageList } from '../stage/stages.js';

/** A pull request as the guard sees it: branches, their commits, and where the head comes from. */
export interface Promotion {
  /** The branch the pull request merges into. */
  base: string;
  /** The branch it brings in. */
  head: string;
  baseSha: string;
  headSha: string;
  /** `owner/repo` of the base. */
  repository: string;
  /** `owner/repo` of the head; null when it was deleted (a fork). */
  headRepository: string | null;
}

export type OrderVerdict =
  | { kind: 'promotion' }
  /** The base takes no promotions (not a stage, or the lowest one): nothing to guard. */
  | { kind: 'unguarded'; why: string }
  | { kind: 'refused'; error: FleetError };

const short = (sha: string) => sha.slice(0, 7);

/** Order: only from the stage just below, only from this repository. */
export function checkOrder(
  stages: StageList,
  p: Pick<Promotion, 'base' | 'head' | 'repository' | 'headRepository'>,
): OrderVerdict {
  const source = stages.below(p.base);
  const list = stages.toString();
  if (!stages.has(p.base))
    return { kind: 'unguarded', why: `${p.base} is not a stage (${list}): this pull request is no promotion` };
  if (source === undefined)
    return { kind: 'unguarded', why: `${p.base} is the first stage (${list}): it takes changes, not promotions` };
  if (p.headRepository !== p.repository)
    return refuse(
      'guard.fork',
      `${p.base} takes promotions from ${source} of ${p.repository} only, not from ${p.headRepository ?? 'a deleted fork'}:${p.head}`,
      `push the change to ${source} of ${p.repository} (through its own pull request), then promote ${source} → ${p.base}`,
    );
  if (p.head !== source)
    return refuse(
      'guard.order',
      `${p.base} takes promotions from ${source} only, not from ${p.head} (stages: ${list})`,
      stages.has(p.head) && stages.names.indexOf(p.head) < stages.names.indexOf(source)
        ? `promote ${p.head} → ${stages.above(p.head)} first, one stage at a time`
        : `merge ${p.head} into ${source} first, then promote ${source} → ${p.base}`,
    );
  return { kind: 'promotion' };
}

function refuse(code: string, message: string, hint: string): OrderVerdict {
  return { kind: 'refused', error: fleetError(code, message, { hint }) };
}

export interface GreenInput extends ClientInput {
  repository: string;
  /** The source stage: the status context is `fleetplay/<source>`. */
  source: string;
  sha: string;
  /** Waits before each retry after a 5xx or a network failure; default [1000, 4000]. */
  retryDelaysMs?: number[];
}

export interface FoundStatus {
  state: string;
  description: string | null;
  target_url: string | null;
}

/**
 * Green: `fleetplay/<source>` = success on the head commit. The error side is "GitHub could not be
 * asked"; the value is the refusal, or undefined when the stage is green.
 */
export async function checkGreen(input: GreenInput): Promise<Result<FleetError | undefined>> {
  const context = statusContext(input.source);
  const found = await withRetries(() => latestStatus(input, context), input.retryDelaysMs ?? [1000, 4000]);
  if (!found.ok) return err(readFailure(found.error, input, context));
  return ok(statusRefusal(found.value, input, context));
}

/**
 * The newest status of `context`. Read from the list of statuses (repos/list-commit-statuses-for-ref),
 * not the combined status: the list is a plain array that octokit pages by its Link headers, newest
 * first, so the first status of the context is its state and reading stops on that page. The
 * combined status pages an array nested in an object, which octokit's paginate does not follow.
 */
export async function latestStatus(input: GreenInput, context: string): Promise<FoundStatus | undefined> {
  const [owner = '', repo = ''] = input.repository.split('/');
  const octokit = octokitFor(input);
  const pages = octokit.paginate.iterator(octokit.rest.repos.listCommitStatusesForRef, {
    owner,
    repo,
    ref: input.sha,
    per_page: 100,
  });
  for await (const page of pages) {
    const mine = page.data.find((s) => s.context === context);
    if (mine) return mine;
  }
  return undefined;
}

function statusRefusal(s: FoundStatus | undefined, input: GreenInput, context: string): FleetError | undefined {
  const at = `${input.source} at ${short(input.sha)}`;
  const said = s?.description ? ` ("${s.description}")` : '';
  const link = s?.target_url ? `; details: ${s.target_url}` : '';
  const wait = `wait until the Monitor fleet workflow reports ${context} = success on ${short(input.sha)}, then re-run this check`;
  if (!s)
    return fleetError('guard.status-missing', `${context} has not reported on ${at}: the stage was never verified`, {
      hint: `let the Update fleet and Monitor fleet workflows run on ${input.source} at ${short(input.sha)}; ${wait}`,
    });
  if (s.state === 'success') return undefined;
  if (s.state === 'pending')
    return fleetError('guard.status-pending', `${context} is pending on ${at}${said}: the stage is still converging`, {
      hint: `${wait}${link}`,
    });
  if (s.state === 'failure')
    return fleetError('guard.status-failure', `${context} failed on ${at}${said}: the stage is red`, {
      hint: `fix or revert the change on ${input.source}, let it turn green, then promote the green commit${link}`,
    });
  return fleetError('guard.status-error', `${context} is error on ${at}${said}: the monitor could not decide`, {
    hint: `look at the Monitor fleet run${link}, re-run it on ${input.source}, then re-run this check`,
  });
}

function readFailure(e: unknown, input: GreenInput, context: string): FleetError {
  const status = (e as { status?: unknown }).status;
  const why = maskSecrets(e instanceof Error ? e.message : String(e));
  return fleetError(
    'guard.status-unreadable',
    `cannot read ${context} on ${short(input.sha)} of ${input.repository}: ${typeof status === 'number' ? `HTTP ${status} ` : ''}${why}`,
    {
      hint:
        status === 401 || status === 403 || status === 404
          ? 'pass secrets.GITHUB_TOKEN as env GITHUB_TOKEN and give the job `permissions: statuses: read`'
          : 'check GITHUB_API_URL and that GitHub is reachable from the runner',
    },
  );
}

/**
 * Unmodified: the merge of the head into the base writes the head's own tree — the tree the
 * source stage verified. When it does not, the base holds changes the head lacks (a hotfix made
 * straight on the target): they are named, oldest first, to be brought back to the source.
 */
export async function checkUnmodified(git: SimpleGit, p: Promotion): Promise<Result<FleetError | undefined>> {
  if (await isAncestor(git, p.baseSha, p.headSha)) return ok(undefined);
  const merged = await mergeTree(git, p.baseSha, p.headSha);
  if (!merged.ok) return merged;
  const verified = await treeOf(git, p.headSha);
  if (merged.value.conflicts.length === 0 && merged.value.tree === verified) return ok(undefined);
  const missing = await commitsMissingFrom(git, p.headSha, p.baseSha);
  const paths = merged.value.conflicts.length
    ? merged.value.conflicts
    : await pathsDiffering(git, verified, merged.value.tree);
  return ok(modifiedRefusal(p, missing, paths, merged.value.conflicts.length > 0));
}

const listed = (items: string[], max = 5) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

function modifiedRefusal(p: Promotion, missing: CommitLine[], paths: string[], conflicts: boolean): FleetError {
  const commits = missing.map((c) => `${c.short} ${c.subject}`);
  const what = commits.length
    ? `${p.base} has ${missing.length === 1 ? 'a commit' : `${missing.length} commits`} that ${p.head} lacks: ${commits.join('; ')}`
    : `${p.base} holds changes that ${p.head} lacks`;
  const effect = conflicts
    ? `the merge conflicts in ${listed(paths)}`
    : `the merge would land a tree that was never verified on ${p.head} (differs in ${listed(paths)})`;
  const pick = missing.length
    ? `git cherry-pick ${missing.map((c) => c.short).join(' ')}`
    : `git merge origin/${p.base}`;
  return fleetError('guard.modified', `${what} — ${effect}`, {
    hint: `bring them back to ${p.head} first: git switch ${p.head} && ${pick} && git push; once ${p.head} is green at its new commit, promote again`,
    context: { commits: missing.map((c) => c.sha), paths },
  });
}
