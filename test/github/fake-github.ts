/**
 * A stand-in for api.github.com on 127.0.0.1: records every request as received, answers commit
 * status writes the way GitHub does (201 + the status object) and keeps them, and answers the
 * combined status of a commit from what it keeps (one status per context, the latest; paginated
 * like GitHub: per_page 30 by default, at most 100), lists a commit's statuses newest first (paged
 * the same way, with GitHub's Link header), and keeps issue comments (list, create,
 * update; fake-comments.ts), and answers workflow dispatches with 204. Tests may override replies.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommentStore } from './fake-comments.js';
import { PullStore } from './fake-pulls.js';
import type { RecordedRequest } from './openapi.js';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
export type Responder = (req: RecordedRequest, n: number) => Reply | undefined;

export interface FakeGitHub {
  /** API root to pass as baseUrl, e.g. http://127.0.0.1:41234/api/v3 */
  url: string;
  prefix: string;
  requests: RecordedRequest[];
  replies: Reply[];
  /** Issue and pull request comments, kept as GitHub keeps them (fake-comments.ts). */
  comments: CommentStore;
  /** Pull requests, kept as GitHub keeps them (fake-pulls.ts). */
  pulls: PullStore;
  /** Keeps a status as if it had been sent (tests that need many contexts on a commit). */
  setStatus(sha: string, context: string, state: string, extra?: { description?: string; target_url?: string }): void;
  close(): Promise<void>;
}

type Status = Record<string, unknown> & { context: string; state: string };

const STATUS_PATH = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/(.+)$/;

/** GitHub's answer to repos/create-commit-status, built from what was sent. */
export function statusReply(req: RecordedRequest, id: number, origin: string, prefix = ''): Reply {
  const m = req.path.startsWith(prefix) ? STATUS_PATH.exec(req.path.slice(prefix.length)) : null;
  if (req.method !== 'POST' || !m)
    return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  const sent = JSON.parse(req.body || '{}') as Record<string, unknown>;
  const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5)).toISOString();
  return {
    status: 201,
    body: {
      url: `${origin}/repos/${m[1]}/${m[2]}/statuses/${m[3]}`,
      avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
      id,
      node_id: `SC_kwDO${id}`,
      state: sent.state,
      description: sent.description ?? null,
      target_url: sent.target_url ?? null,
      context: sent.context ?? 'default',
      created_at: now,
      updated_at: now,
      creator: null,
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const DISPATCH_PATH = /^\/repos\/[^/]+\/[^/]+\/actions\/workflows\/[^/]+\/dispatches$/;
const COMBINED_PATH = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/;

/** The `*_url` fields GitHub puts in a repository and a user object. */
const REPO_URLS =
  'archive assignees blobs branches collaborators comments commits compare contents contributors deployments downloads events forks git_commits git_refs git_tags hooks issue_comment issue_events issues keys labels languages merges milestones notifications pulls releases stargazers statuses subscribers subscription tags teams trees'.split(
    ' ',
  );
const USER_URLS = 'events followers following gists organizations received_events repos starred subscriptions'.split(
  ' ',
);

function minimalRepository(owner: string, repo: string, origin: string): Record<string, unknown> {
  const url = `${origin}/repos/${owner}/${repo}`;
  const user = `${origin}/users/${owner}`;
  return {
    id: 1296269,
    node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
    name: repo,
    full_name: `${owner}/${repo}`,
    private: false,
    fork: false,
    description: null,
    html_url: `https://github.example/${owner}/${repo}`,
    url,
    ...Object.fromEntries(REPO_URLS.map((k) => [`${k}_url`, `${url}/${k}`])),
    owner: {
      login: owner,
      id: 1,
      node_id: 'MDQ6VXNlcjE=',
      type: 'Organization',
      site_admin: false,
      gravatar_id: '',
      avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
      html_url: `https://github.example/${owner}`,
      url: user,
      ...Object.fromEntries(USER_URLS.map((k) => [`${k}_url`, `${user}/${k}`])),
    },
  };
}

/** failure if any context failed or errored, pending if none or any pending, else success (GitHub's rule). */
function combinedState(latest: Status[]): string {
  if (latest.some((s) => s.state === 'failure' || s.state === 'error')) return 'failure';
  if (latest.length === 0 || latest.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

/** repos/get-combined-status-for-ref: the latest status per context, contexts in the order they first appeared. */
function combinedReply(m: RegExpExecArray, kept: Status[], query: URLSearchParams, origin: string): Reply {
  const latest = new Map<string, Status>();
  for (const st of kept) latest.set(st.context, st);
  const all = [...latest.values()];
  const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
  const page = Math.max(1, Number(query.get('page') ?? 1));
  const [owner, repo, ref] = [m[1], m[2], m[3]];
  return {
    status: 200,
    body: {
      state: combinedState(all),
      statuses: all.slice((page - 1) * perPage, page * perPage).map(({ creator: _c, ...simple }) => simple),
      sha: ref,
      total_count: all.length,
      repository: minimalRepository(owner, repo, origin),
      commit_url: `${origin}/repos/${owner}/${repo}/commits/${ref}`,
      url: `${origin}/repos/${owner}/${repo}/commits/${ref}/status`,
    },
  };
}

const LIST_PATH = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/statuses$/;

/** repos/list-commit-statuses-for-ref: every status, newest first, with Link to the next and last pages. */
function listReply(m: RegExpExecArray, kept: Status[], query: URLSearchParams, origin: string): Reply {
  const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
  const page = Math.max(1, Number(query.get('page') ?? 1));
  const all = [...kept].reverse();
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const url = (n: number) => `<${origin}/repos/${m[1]}/${m[2]}/commits/${m[3]}/statuses?per_page=${perPage}&page=${n}>`;
  const links = page < last ? [`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`] : [];
  return {
    status: 200,
    body: all.slice((page - 1) * perPage, page * perPage),
    headers: links.length ? { link: links.join(', ') } : {},
  };
}

export async function startFakeGitHub(opts: { prefix?: string; respond?: Responder } = {}): Promise<FakeGitHub> {
  const prefix = opts.prefix ?? '';
  const requests: RecordedRequest[] = [];
  const replies: Reply[] = [];
  const kept = new Map<string, Status[]>();
  const keep = (sha: string, status: Status) => kept.set(sha, [...(kept.get(sha) ?? []), status]);
  const comments = new CommentStore();
  const pulls = new PullStore();
  let origin = '';
  const answer = (rec: RecordedRequest): Reply => {
    const path = rec.path.startsWith(prefix) ? rec.path.slice(prefix.length) : undefined;
    const stored =
      path === undefined ? undefined : (comments.answer(rec, path, origin) ?? pulls.answer(rec, path, origin));
    if (stored) return stored;
    // actions/create-workflow-dispatch: 204 and no body (without return_run_details), as GitHub answers.
    if (rec.method === 'POST' && path !== undefined && DISPATCH_PATH.test(path))
      return { status: 204, body: undefined };
    const combined = rec.method === 'GET' ? COMBINED_PATH.exec(rec.path.slice(prefix.length)) : null;
    if (combined) return combinedReply(combined, kept.get(combined[3]) ?? [], new URLSearchParams(rec.query), origin);
    const list = rec.method === 'GET' ? LIST_PATH.exec(rec.path.slice(prefix.length)) : null;
    if (list) return listReply(list, kept.get(list[3]) ?? [], new URLSearchParams(rec.query), origin);
    const reply = statusReply(rec, 1000 + requests.length, origin, prefix);
    if (reply.status === 201) keep(rec.path.split('/').pop()!, reply.body as Status);
    return reply;
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const [path = '', query = ''] = (req.url ?? '').split('?');
      const rec: RecordedRequest = { method: req.method ?? '', path, query, headers: req.headers, body };
      requests.push(rec);
      const reply = opts.respond?.(rec, requests.length) ?? answer(rec);
      replies.push(reply);
      if (reply.body === undefined) {
        res.writeHead(reply.status, reply.headers);
        res.end();
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    url: origin,
    prefix,
    requests,
    replies,
    comments,
    pulls,
    setStatus: (sha, context, state, extra = {}) => {
      const rec: RecordedRequest = {
        method: 'POST',
        path: `${prefix}/repos/o/r/statuses/${sha}`,
        headers: {},
        body: JSON.stringify({ context, state, ...extra }),
      };
      keep(sha, statusReply(rec, 5000 + [...kept.values()].flat().length, origin, prefix).body as Status);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
