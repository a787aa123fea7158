/**
 * Pull requests for `fleetplay promote` and `fleetplay rollback`: find the open pull request of a
 * head into a base, open one.
 */
import { err, ok, type FleetError, type Result } from '../errors/index.js';
import { maskSecrets, registerSecret } from '../log/index.js';
import { octokitFor, requestFailure, type ClientInput } from './client.js';

export interface RepoInput extends ClientInput {
  /** `owner/repo`. */
  repository: string;
}

export interface PullRef {
  number: number;
  url: string;
  title: string;
}

const PER_PAGE = 100;

const split = (repository: string) => {
  const [owner = '', repo = ''] = repository.split('/');
  return { owner, repo };
};

/** The open pull request from branch `head` of the repository into `base`, if there is one. */
export async function findOpenPull(
  i: RepoInput & { head: string; base: string },
): Promise<Result<PullRef | undefined>> {
  registerSecret(i.token);
  const where = split(i.repository);
  try {
    const res = await octokitFor(i).rest.pulls.list({
      ...where,
      state: 'open',
      head: `${where.owner}:${i.head}`,
      base: i.base,
      per_page: PER_PAGE,
    });
    const p = res.data[0];
    return ok(p ? { number: p.number, url: p.html_url, title: p.title } : undefined);
  } catch (e) {
    return err(githubFailure(e, `list the pull requests ${i.head} → ${i.base} of`, i.repository));
  }
}

export async function createPull(
  i: RepoInput & { head: string; base: string; title: string; body: string },
): Promise<Result<PullRef>> {
  registerSecret(i.token);
  try {
    const { data } = await octokitFor(i).rest.pulls.create({
      ...split(i.repository),
      head: i.head,
      base: i.base,
      title: i.title,
      body: maskSecrets(i.body),
    });
    return ok({ number: data.number, url: data.html_url, title: data.title });
  } catch (e) {
    return err(githubFailure(e, `open the pull request ${i.head} → ${i.base} on`, i.repository));
  }
}

const HINTS: Record<number, string> = {
  401: 'GITHUB_TOKEN is wrong or expired',
  403: 'the token lacks permission: it needs pull-requests: write, contents: read and statuses: read',
  404: 'the repository is unknown to GitHub or the token cannot see it: check GITHUB_REPOSITORY (owner/repo)',
  422: 'GitHub refused it (is the head branch pushed? is there a difference between the branches?)',
};

const githubFailure = (e: unknown, what: string, repository: string): FleetError =>
  requestFailure(e, { code: 'github.request-failed', what: `cannot ${what} ${repository}`, repository, hints: HINTS });
