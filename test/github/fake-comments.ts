/**
 * Issue comments as GitHub keeps them, for the stand-in GitHub (fake-github.ts): list (paginated
 * with a Link header: per_page 30 by default, at most 100), create and update, each answered with
 * the issue-comment object GitHub's description documents.
 */
import type { RecordedRequest } from './openapi.js';

export interface Comment {
  id: number;
  issue: number;
  body: string;
  login: string;
  created_at: string;
  updated_at: string;
}

export interface CommentReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const LIST = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/;
const ONE = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/;
const NOT_FOUND = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };

const USER_URLS = 'events followers following gists organizations received_events repos starred subscriptions';

function user(login: string, origin: string): Record<string, unknown> {
  // GitHub escapes the brackets of a bot's login in its URLs (users/github-actions%5Bbot%5D).
  const url = `${origin}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id: 41898282,
    node_id: 'MDM6Qm90NDE4OTgyODI=',
    avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
    gravatar_id: '',
    url,
    html_url: `https://github.example/${encodeURIComponent(login)}`,
    ...Object.fromEntries(USER_URLS.split(' ').map((k) => [`${k}_url`, `${url}/${k}`])),
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

export class CommentStore {
  readonly comments: Comment[] = [];
  private next = 90_000;
  private clock = Date.UTC(2026, 0, 2, 3, 4, 5);

  add(issue: number, body: string, login = 'someone'): Comment {
    const now = new Date((this.clock += 1000)).toISOString();
    const c = { id: this.next++, issue, body, login, created_at: now, updated_at: now };
    this.comments.push(c);
    return c;
  }

  view(c: Comment, owner: string, repo: string, origin: string): Record<string, unknown> {
    const url = `${origin}/repos/${owner}/${repo}/issues/comments/${c.id}`;
    return {
      id: c.id,
      node_id: `IC_kwDO${c.id}`,
      url,
      html_url: `https://github.example/${owner}/${repo}/pull/${c.issue}#issuecomment-${c.id}`,
      body: c.body,
      user: user(c.login, origin),
      created_at: c.created_at,
      updated_at: c.updated_at,
      issue_url: `${origin}/repos/${owner}/${repo}/issues/${c.issue}`,
      author_association: c.login.endsWith('[bot]') ? 'NONE' : 'MEMBER',
      performed_via_github_app: null,
    };
  }

  /** GitHub's answer to a comments request, or undefined when `path` is not one. */
  answer(req: RecordedRequest, path: string, origin: string): CommentReply | undefined {
    const list = LIST.exec(path);
    if (list) {
      const [, owner = '', repo = '', issue = ''] = list;
      if (req.method === 'GET') return this.page(Number(issue), owner, repo, origin, new URLSearchParams(req.query));
      if (req.method === 'POST') {
        const body = (JSON.parse(req.body || '{}') as { body?: string }).body ?? '';
        return {
          status: 201,
          body: this.view(this.add(Number(issue), body, 'github-actions[bot]'), owner, repo, origin),
        };
      }
    }
    const one = ONE.exec(path);
    if (one && req.method === 'PATCH') {
      const [, owner = '', repo = '', id = ''] = one;
      const c = this.comments.find((x) => x.id === Number(id));
      if (!c) return NOT_FOUND;
      c.body = (JSON.parse(req.body || '{}') as { body?: string }).body ?? c.body;
      c.updated_at = new Date((this.clock += 1000)).toISOString();
      return { status: 200, body: this.view(c, owner, repo, origin) };
    }
    return undefined;
  }

  private page(issue: number, owner: string, repo: string, origin: string, q: URLSearchParams): CommentReply {
    const all = this.comments.filter((c) => c.issue === issue);
    const perPage = Math.min(100, Number(q.get('per_page') ?? 30));
    const page = Math.max(1, Number(q.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (p: number, rel: string) =>
      `<${origin}/repos/${owner}/${repo}/issues/${issue}/comments?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links = [...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : [])];
    return {
      status: 200,
      body: all.slice((page - 1) * perPage, page * perPage).map((c) => this.view(c, owner, repo, origin)),
      headers: links.length ? { link: links.join(', ') } : {},
    };
  }
}
