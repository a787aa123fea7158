/**
 * A stand-in for api.github.com on 127.0.0.1: records every request as received and answers
 * commit status writes the way GitHub does (201 + the status object). Tests may override replies.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from './openapi.js';

export interface Reply {
  status: number;
  body: unknown;
}
export type Responder = (req: RecordedRequest, n: number) => Reply | undefined;

export interface FakeGitHub {
  /** API root to pass as baseUrl, e.g. http://127.0.0.1:41234/api/v3 */
  url: string;
  prefix: string;
  requests: RecordedRequest[];
  replies: Reply[];
  close(): Promise<void>;
}

const STATUS_PATH = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/(.+)$/;

/** GitHub's answer to repos/create-commit-status, built from what was sent. */
export function statusReply(req: RecordedRequest, id: number, origin: string, prefix = ''): Reply {
  const m = req.path.startsWith(prefix) ? STATUS_PATH.exec(req.path.slice(prefix.length)) : null;
  if (req.method !== 'POST' || !m) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
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

export async function startFakeGitHub(opts: { prefix?: string; respond?: Responder } = {}): Promise<FakeGitHub> {
  const prefix = opts.prefix ?? '';
  const requests: RecordedRequest[] = [];
  const replies: Reply[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const rec: RecordedRequest = { method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', headers: req.headers, body };
      requests.push(rec);
      const reply = opts.respond?.(rec, requests.length) ?? statusReply(rec, 1000 + requests.length, origin, prefix);
      replies.push(reply);
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
