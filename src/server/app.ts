/**
 * The running server: state + journal + clock + HTTP dispatch (auth, faults, request log,
 * Mender error bodies). Routes live in routes/*.ts and only see the App interface.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerOk, type Credentials } from './auth.js';
import { FaultInjector, NO_FAULT } from './faults.js';
import { fail, Router, type Ctx, type Reply } from './http.js';
import type { Journal } from './journal.js';
import type { JournalEvent } from './model.js';
import { simulate } from './sim.js';
import type { FleetState } from './state.js';

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  time: string;
}

export interface Clock {
  kind: 'real' | 'manual';
  now(): number;
}

const MAX_BODY = 16 << 20;
const REQUEST_LOG_LIMIT = 10_000;

export class App {
  readonly router = new Router();
  readonly faults = new FaultInjector();
  readonly requests: LoggedRequest[] = [];

  constructor(
    readonly state: FleetState,
    readonly journal: Journal | undefined,
    readonly clock: Clock,
    readonly creds: Credentials,
  ) {}

  now(): number {
    return this.clock.now();
  }

  /** Applies events and resolves once they are durable: only then may a 2xx go out. */
  async commit(...events: JournalEvent[]): Promise<void> {
    for (const e of events) this.record(e);
    await this.journal?.sync();
  }

  /** Applies an event and queues it for the journal without waiting (simulator steps). */
  record(e: JournalEvent): void {
    this.state.apply(e);
    this.journal?.append(e);
  }

  /** Runs the simulated devices up to the clock's now. */
  advanceSimulation(): number {
    return simulate(this.state, this.now(), (e) => this.record(e));
  }

  newId(): string {
    return randomUUID();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const requestId = randomUUID();
    const fault = url.pathname.startsWith('/api/admin/')
      ? NO_FAULT
      : this.faults.decide(req.method ?? 'GET', url.pathname);
    if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    // A held request is read before it waits: its client may be gone when it is let go, and it is served all the same.
    const held = fault.hold && { raw: await readBody(req) };
    await fault.hold;
    if (fault.action.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    const raw = held ? held.raw : await readBody(req);
    const ctx: Ctx = {
      req,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      params: {},
      body: undefined,
      requestId,
      origin: `http://${req.headers.host ?? 'localhost'}`,
    };
    let reply: Reply;
    if (fault.action.kind === 'error') reply = fail(fault.action.status, 'injected fault: internal error', ctx);
    else if (fault.action.kind === 'throttle')
      reply = fail(429, 'too many requests', ctx, { 'Retry-After': String(fault.action.retryAfter) });
    else reply = await this.dispatch(ctx, raw);
    this.log(ctx, raw, reply.status);
    send(res, reply, requestId, this.now());
  }

  private async dispatch(ctx: Ctx, raw: Buffer | undefined): Promise<Reply> {
    if (raw === undefined) return fail(413, 'request body too large', ctx);
    const m = this.router.match(ctx.method, ctx.path);
    if (m === undefined) return fail(404, 'not found', ctx);
    if (m === 405) return fail(405, 'method not allowed', ctx);
    if (
      (m.route.auth === 'management' || m.route.auth === 'admin') &&
      !bearerOk(this.creds, ctx.req.headers.authorization)
    ) {
      return fail(401, 'unauthorized: missing or invalid token', ctx);
    }
    if (raw.length > 0) {
      try {
        ctx.body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        ctx.bodyError = (e as Error).message;
      }
    }
    ctx.params = m.params;
    try {
      return await m.route.handler(ctx);
    } catch (e) {
      return fail(500, `internal error: ${(e as Error).message}`, ctx);
    }
  }

  private log(ctx: Ctx, raw: Buffer | undefined, status: number): void {
    if (!ctx.path.startsWith('/api/management/')) return;
    let body: unknown = null;
    if (raw && raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(ctx.query.keys())) {
      const all = ctx.query.getAll(k);
      query[k] = all.length === 1 ? all[0] : all;
    }
    this.requests.push({ method: ctx.method, path: ctx.path, query, body, status, time: new Date().toISOString() });
    // Trim in chunks: one splice per thousand requests, not one per request.
    if (this.requests.length > REQUEST_LOG_LIMIT + 1000)
      this.requests.splice(0, this.requests.length - REQUEST_LOG_LIMIT);
  }
}

const EMPTY = Buffer.alloc(0);

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  // Most requests are GETs without a body: skip the stream machinery.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return EMPTY;
  if (req.headers['content-length'] === '0') return EMPTY;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** `Date` is the simulated clock, so clients compare check-in times with the server's own time. */
function send(res: ServerResponse, reply: Reply, requestId: string, now: number): void {
  const headers: Record<string, string> = {
    'X-MEN-RequestID': requestId,
    Date: new Date(now).toUTCString(),
    ...reply.headers,
  };
  let payload: string | undefined;
  if (reply.text !== undefined) {
    payload = reply.text;
    headers['Content-Type'] = reply.contentType ?? 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
  else if (reply.status !== 204) headers['Content-Length'] = '0';
  res.writeHead(reply.status, headers);
  res.end(payload);
}
