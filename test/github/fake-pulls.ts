/**
 * Pull requests as GitHub keeps them, for the stand-in GitHub (fake-github.ts): list (filtered by
 * state, `head` as `owner:branch` and `base`; paginated like GitHub, per_page 30 by default, at most
 * 100) and create (422 when an open pull request for the same head and base exists, as GitHub
 * answers), each answered with the objects GitHub's description documents. Tests merge or close
 * one by hand (`close`).
 */
import type { RecordedRequest } from './openapi.js';

export interface Pull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  created_at: string;
}

export interface PullReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const PULLS = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/;

const USER_URLS = 'events followers following gists organizations received_events repos starred subscriptions';
const REPO_URLS =
  'archive assignees blobs branches collaborators comments commits compare contents contributors deployments downloads events forks git_commits git_refs git_tags hooks issue_comment issue_events issues keys labels languages merges milestones notifications pulls releases stargazers statuses subscribers subscription tags teams trees';

function user(login: string, origin: string): Record<string, unknown> {
  const url = `${origin}/users/${login}`;
  return {
    login,
    id: 1,
    node_id: 'MDQ6VXNlcjE=',
    avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
    gravatar_id: '',
    url,
    html_url: `https://github.example/${login}`,
    ...Object.fromEntries(USER_URLS.split(' ').map((k) => [`${k}_url`, `${url}/${k}`])),
    type: 'Organization',
    site_admin: false,
  };
}

/** A repository object with every field the description requires. */
function repository(owner: string, repo: string, origin: string): Record<string, unknown> {
  const url = `${origin}/repos/${owner}/${repo}`;
  const at = '2026-01-01T00:00:00Z';
  return {
    id: 1296269,
    node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
    name: repo,
    full_name: `${owner}/${repo}`,
    owner: user(owner, origin),
    private: false,
    fork: false,
    description: null,
    url,
    html_url: `https://github.example/${owner}/${repo}`,
    ...Object.fromEntries(REPO_URLS.split(' ').map((k) => [`${k}_url`, `${url}/${k}`])),
    clone_url: `https://github.example/${owner}/${repo}.git`,
    git_url: `git://github.example/${owner}/${repo}.git`,
    ssh_url: `git@github.example:${owner}/${repo}.git`,
    svn_url: `https://github.example/${owner}/${repo}`,
    mirror_url: null,
    homepage: null,
    language: null,
    default_branch: 'main',
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 1,
    open_issues: 0,
    open_issues_count: 0,
    has_downloads: true,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: at,
    created_at: at,
    updated_at: at,
  };
}

export class PullStore {
  readonly pulls: Pull[] = [];
  private next = 7;
  private clock = Date.UTC(2026, 0, 3, 4, 5, 6);

  /** Keeps a pull request as if it had been opened (`head` is a branch of the same repository). */
  add(head: string, base: string, title = `${head} → ${base}`, body: string | null = null): Pull {
    const p: Pull = {
      number: this.next++,
      title,
      body,
      head,
      base,
      state: 'open',
      created_at: new Date((this.clock += 1000)).toISOString(),
    };
    this.pulls.push(p);
    return p;
  }

  close(number: number): void {
    const p = this.pulls.find((x) => x.number === number);
    if (p) p.state = 'closed';
  }

  /** The pull-request-simple object (a list item); `full` adds the pull-request fields of one answer. */
  view(p: Pull, owner: string, repo: string, origin: string, full = false): Record<string, unknown> {
    const url = `${origin}/repos/${owner}/${repo}/pulls/${p.number}`;
    const html = `https://github.example/${owner}/${repo}/pull/${p.number}`;
    const issue = `${origin}/repos/${owner}/${repo}/issues/${p.number}`;
    const ref = (branch: string) => ({
      label: `${owner}:${branch}`,
      ref: branch,
      sha: '0'.repeat(40),
      user: user(owner, origin),
      repo: repository(owner, repo, origin),
    });
    const simple = {
      url,
      id: 4000 + p.number,
      node_id: `PR_kwDO${p.number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issue,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${origin}/repos/${owner}/${repo}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: `${origin}/repos/${owner}/${repo}/statuses/${'0'.repeat(40)}`,
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: user('github-actions', origin),
      body: p.body,
      labels: [],
      milestone: null,
      created_at: p.created_at,
      updated_at: p.created_at,
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      head: ref(p.head),
      base: ref(p.base),
      _links: Object.fromEntries(
        ['self', 'html', 'issue', 'comments', 'review_comments', 'review_comment', 'commits', 'statuses'].map((k) => [
          k,
          { href: k === 'html' ? html : url },
        ]),
      ),
      author_association: 'NONE',
      auto_merge: null,
    };
    if (!full) return simple;
    return {
      ...simple,
      merged: false,
      mergeable: null,
      mergeable_state: 'unknown',
      merged_by: null,
      comments: 0,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
    };
  }

  /** The reply to a pulls request, or undefined when the path is not one. */
  answer(req: RecordedRequest, path: string, origin: string): PullReply | undefined {
    const m = PULLS.exec(path);
    if (!m) return undefined;
    const [owner = '', repo = ''] = [m[1], m[2]];
    if (req.method === 'GET') return this.list(new URLSearchParams(req.query ?? ''), owner, repo, origin);
    if (req.method === 'POST') return this.create(req, owner, repo, origin);
    return undefined;
  }

  private list(q: URLSearchParams, owner: string, repo: string, origin: string): PullReply {
    const state = q.get('state') ?? 'open';
    const head = q.get('head');
    const base = q.get('base');
    const found = this.pulls.filter(
      (p) =>
        (state === 'all' || p.state === state) &&
        (!head || `${owner}:${p.head}` === head) &&
        (!base || p.base === base),
    );
    const perPage = Math.min(100, Number(q.get('per_page') ?? 30));
    const page = Math.max(1, Number(q.get('page') ?? 1));
    const items = found.slice((page - 1) * perPage, page * perPage).map((p) => this.view(p, owner, repo, origin));
    return { status: 200, body: items };
  }

  private create(req: RecordedRequest, owner: string, repo: string, origin: string): PullReply {
    const sent = JSON.parse(req.body || '{}') as { head?: string; base?: string; title?: string; body?: string };
    const head = String(sent.head ?? '').replace(new RegExp(`^${owner}:`), '');
    const base = String(sent.base ?? '');
    if (this.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base))
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [
            { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.` },
          ],
          documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
        },
      };
    const p = this.add(head, base, String(sent.title ?? ''), sent.body ?? null);
    return { status: 201, body: this.view(p, owner, repo, origin, true) };
  }
}
