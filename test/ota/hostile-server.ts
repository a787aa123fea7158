/**
 * A deliberately broken OTA server: a pass-through proxy in front of the real embedded server
 * that misbehaves on one endpoint the way a hostile or broken server would (paging without end,
 * counts it cannot keep, a body that drips or never ends, redirects, no JSON). The embedded
 * server itself cannot misbehave this way. Node built-ins only: bench/hostile.mjs loads it too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const HOSTILE_MODES = [
  'endless-next',
  'same-next',
  'huge-count',
  'extra-devices',
  'slow-drip',
  'huge-body',
  'redirect-loop',
  'moved',
  'html',
  'wrong-type',
  'truncated',
  'null',
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

export const SEARCH = '/api/management/v2/inventory/filters/search';

export interface HostileServer {
  url: string;
  /** Requests the hostile endpoint answered. */
  readonly hostile: number;
  /** Requests that would change something on the server: neither GET nor the (read-only) search. */
  readonly writes: { method: string; path: string }[];
  /** Bytes of body sent by the hostile endpoint, all requests together. */
  readonly sentBytes: number;
  close(): Promise<void>;
}

/**
 * `target`: the method and path that misbehave (default the inventory search, the first read of
 * every run); every other request goes to `upstream` unchanged.
 */
export async function hostileServer(
  upstream: string,
  mode: HostileMode,
  target: { method: string; path: string } = { method: 'POST', path: SEARCH },
): Promise<HostileServer> {
  const writes: { method: string; path: string }[] = [];
  let hostile = 0;
  let sentBytes = 0;
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://x');
    if (method !== 'GET' && url.pathname !== SEARCH) writes.push({ method, path: url.pathname });
    void readAll(req).then(async (body) => {
      if (method !== target.method || url.pathname !== target.path)
        return relay(res, await forward(upstream, req.url ?? '/', req, body));
      hostile++;
      const page = pageOf(url, body);
      // The hostile endpoint serves the first page's content whatever page is asked for.
      const first = () => forward(upstream, firstPage(url), req, firstPage(body));
      sentBytes += await misbehave(mode, url, page, res, first, `http://127.0.0.1:${port()}`);
    });
  });
  const close = closer(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port()}`,
    get hostile() {
      return hostile;
    },
    writes,
    get sentBytes() {
      return sentBytes;
    },
    close,
  };
}

/** Closes `server` with its open connections: a dripping or endless answer must not keep close() waiting. */
export function closer(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  return () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
}

export interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Answers one request of the hostile endpoint; returns the body bytes it sent. */
async function misbehave(
  mode: HostileMode,
  url: URL,
  page: number,
  res: ServerResponse,
  upstream: () => Promise<Upstream>,
  self: string,
): Promise<number> {
  const json = { 'content-type': 'application/json' };
  switch (mode) {
    case 'endless-next': {
      // The same devices on every page, each time with a link to one page further (no count).
      const u = without(await upstream(), 'x-total-count');
      return relay(res, u, { link: `<${url.pathname}?page=${page + 1}>; rel="next"` });
    }
    case 'same-next': {
      const u = without(await upstream(), 'x-total-count');
      return relay(res, u, { link: `<${url.pathname}?page=2>; rel="next"` });
    }
    case 'huge-count':
      // A count without a Link header: the count alone says how many pages to fetch.
      return relay(res, without(await upstream(), 'link'), { 'x-total-count': '100000000' });
    case 'extra-devices': {
      const u = await upstream();
      const list = JSON.parse(u.body.toString('utf8')) as unknown[];
      list.push({ id: 'not-asked-for-0000', attributes: [] });
      return relay(res, { ...u, body: Buffer.from(JSON.stringify(list)) });
    }
    case 'slow-drip':
      return drip(res);
    case 'huge-body':
      return endless(res);
    case 'redirect-loop':
      res.writeHead(302, { location: `${self}${url.pathname}${url.search}` });
      res.end();
      return 0;
    case 'moved':
      res.writeHead(301, { location: `http://mender.example.invalid${url.pathname}` });
      res.end();
      return 0;
    case 'html':
      return send(res, 200, { 'content-type': 'text/html' }, '<!doctype html><title>Sign in</title><form>…</form>');
    case 'wrong-type':
      return send(res, 200, { 'content-type': 'text/plain' }, 'OK');
    case 'truncated': {
      const u = await upstream();
      return send(res, 200, json, u.body.subarray(0, Math.floor(u.body.length / 2)));
    }
    case 'null':
      return send(res, 200, json, 'null');
  }
}

/** One byte a second, for as long as the client listens. */
function drip(res: ServerResponse): Promise<number> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const text = '[{"id":"slow","attributes":[]}]';
  let i = 0;
  return new Promise((resolve) => {
    const tick = () => {
      if (res.destroyed || i >= text.length) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return resolve(i);
      }
      res.write(text[i++]);
    };
    const timer = setInterval(tick, 1000);
    res.on('close', tick);
    tick();
  });
}

/** A JSON array of 10 GB, written as fast as the client reads, until the client hangs up. */
function endless(res: ServerResponse): Promise<number> {
  const LIMIT = 10 * 1024 ** 3;
  const item = Buffer.from(
    '{"id":"d","attributes":[{"scope":"inventory","name":"pad","value":"' + 'x'.repeat(900) + '"}]},',
  );
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => item));
  res.writeHead(200, { 'content-type': 'application/json' });
  let sent = 0;
  return new Promise((resolve) => {
    const pump = () => {
      while (!res.destroyed && sent < LIMIT) {
        sent += chunk.length;
        if (!res.write(sent === chunk.length ? Buffer.concat([Buffer.from('['), chunk]) : chunk)) return;
      }
      if (!res.destroyed) res.end(']');
      resolve(sent);
    };
    res.on('drain', pump);
    res.on('close', () => resolve(sent));
    pump();
  });
}

function without(u: Upstream, header: string): Upstream {
  const headers = { ...u.headers };
  delete headers[header];
  return { ...u, headers };
}

export function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
): number {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'content-length': String(b.length) });
  res.end(b);
  return b.length;
}

function relay(res: ServerResponse, u: Upstream, extra: Record<string, string> = {}): number {
  return send(res, u.status, { ...u.headers, ...extra }, u.body);
}

/** The page asked for: in the query (GET lists) or the JSON body (the search). */
function pageOf(url: URL, body: Buffer): number {
  if (url.searchParams.has('page')) return Number(url.searchParams.get('page'));
  try {
    return Number((JSON.parse(body.toString('utf8')) as { page?: number }).page ?? 1);
  } catch {
    return 1;
  }
}

/** The same request for page 1. */
function firstPage(x: URL): string;
function firstPage(x: Buffer): Buffer;
function firstPage(x: URL | Buffer): string | Buffer {
  if (x instanceof URL) {
    const u = new URL(x);
    if (u.searchParams.has('page')) u.searchParams.set('page', '1');
    return `${u.pathname}${u.search}`;
  }
  try {
    return Buffer.from(JSON.stringify({ ...(JSON.parse(x.toString('utf8')) as object), page: 1 }));
  } catch {
    return x;
  }
}

export async function forward(upstream: string, path: string, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  const r = await fetch(`${upstream}${path}`, {
    method: req.method,
    headers: {
      authorization: req.headers.authorization ?? '',
      'content-type': req.headers['content-type'] ?? 'application/json',
    },
    body: body.length ? body : undefined,
  });
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => {
    if (!['content-encoding', 'transfer-encoding', 'connection', 'content-length', 'keep-alive'].includes(k))
      headers[k] = v;
  });
  return { status: r.status, headers, body: Buffer.from(await r.arrayBuffer()) };
}

export function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
