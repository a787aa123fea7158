/**
 * The running server: state + journal + clock + HTTP dispatch (auth, bounded request bodies,
 * faults, request log, Mender error bodies). Routes live in routes/*.ts and only see the App
 * interface.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refusal, type Credentials } from './auth.js';
import { BodyBudget, DEFAULT_BODY_LIMITS, type BodyLimits } from './body.js';
import { FaultInjector, NO_FAULT, type FaultDecision } from './faults.js';
import { fail, Router, type Ctx, type Reply, type Route } from './http.js';
import type { Journal } from './journal.js';
import type { JournalEvent } from './model.js';
import { simulate } from './sim.js';
import { RequestLog } from './request-log.js';
import type { FleetState } from './state.js';

type Matched = { route: Route; params: Record<string, string> };

/** What hosted Mender allows a tenant (docs.mender.io, Limits: "Maximum number of active deployments"). */
export const DEFAULT_MAX_ACTIVE_DEPLOYMENTS = 800;

export interface Clock {
  kind: 'real' | 'manual';
  now(): number;
}

export class App {
  readonly router = new Router();
  readonly faults = new FaultInjector();
  readonly requests = new RequestLog();
  readonly bodies: BodyBudget;
  /** Hosted Mender's cap of active (pending or in progress) deployments per tenant; 0: none. */
  maxActiveDeployments = DEFAULT_MAX_ACTIVE_DEPLOYMENTS;

  constructor(
    readonly state: FleetState,
    readonly journal: Journal | undefined,
    readonly clock: Clock,
    readonly creds: Credentials,
    limits: BodyLimits = DEFAULT_BODY_LIMITS,
  ) {
    this.bodies = new BodyBudget(limits);
  }

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

  /**
   * Answers one request. Everything the headers decide — route, credentials, declared size,
   * the in-flight budget — is decided before a byte of the body is read, so a request that will
   * be refused costs no memory for its body. `expectsContinue`: the client waits for a 100
   * before sending the body, which it gets only when the body is wanted.
   */
  async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const fault = url.pathname.startsWith('/api/admin/')
      ? NO_FAULT
      : this.faults.decide(req.method ?? 'GET', url.pathname);
    if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    // A held request is dropped only once let go (below).
    if (fault.action.kind === 'drop' && !fault.hold) {
      req.socket.destroy();
      return;
    }
    const ctx: Ctx = {
      req,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      params: {},
      body: undefined,
      requestId: randomUUID(),
      origin: `http://${req.headers.host ?? 'localhost'}`,
    };
    const route = this.route(ctx);
    if ('status' in route) return this.answer(ctx, res, route, NO_BODY);
    if (expectsContinue) res.writeContinue();
    const body = await this.bodies.read(req);
    if (!body.ok) return this.answer(ctx, res, this.tooMuch(body.status, ctx), NO_BODY);
    try {
      await this.serve(ctx, res, route, fault, body.raw);
    } finally {
      body.release();
    }
  }

  /** A request whose body is read: held, dropped or answered as the faults say, else dispatched. */
  private async serve(ctx: Ctx, res: ServerResponse, route: Matched, fault: FaultDecision, raw: Buffer): Promise<void> {
    // A held request was read before it waits: its client may be gone when it is let go, and it is served all the same.
    await fault.hold;
    if (fault.action.kind === 'drop') {
      ctx.req.socket.destroy();
      return;
    }
    const logged = { value: parseJson(ctx, raw), bytes: raw.length };
    let reply: Reply;
    if (fault.action.kind === 'error') reply = fail(fault.action.status, 'injected fault: internal error', ctx);
    else if (fault.action.kind === 'throttle')
      reply = fail(429, 'too many requests', ctx, { 'Retry-After': String(fault.action.retryAfter) });
    else reply = await this.dispatch(ctx, route);
    this.answer(ctx, res, reply, logged);
  }

  /** The route a request goes to, or the refusal its headers alone earn. */
  private route(ctx: Ctx): Matched | Reply {
    const m = this.router.match(ctx.method, ctx.path);
    if (m === undefined) return fail(404, 'not found', ctx);
    if (m === 405) return fail(405, 'method not allowed', ctx);
    ctx.route = m.route.template;
    const why = refusal(this.creds, m.route.auth, ctx.req.headers.authorization);
    if (why !== undefined) return fail(401, why, ctx);
    const size = this.bodies.precheck(ctx.req);
    return size === undefined ? m : this.tooMuch(size, ctx);
  }

  private tooMuch(status: 413 | 503, ctx: Ctx): Reply {
    if (status === 413) return fail(413, `request body too large: at most ${this.bodies.limits.maxBody} bytes`, ctx);
    return fail(503, 'server busy: too many request bodies in flight', ctx, { 'Retry-After': '1' });
  }

  private async dispatch(ctx: Ctx, m: Matched): Promise<Reply> {
    ctx.params = m.params;
    try {
      return await m.route.handler(ctx);
    } catch (e) {
      return fail(500, `internal error: ${(e as Error).message}`, ctx);
    }
  }

  /**
   * Logs and sends a reply. When (part of) a large body is left unread, the connection closes
   * after the answer instead of reading the rest; a small one is discarded by node:http and the
   * connection kept.
   */
  private answer(ctx: Ctx, res: ServerResponse, reply: Reply, body: LoggedBody): void {
    this.log(ctx, body, reply.status);
    const unread = !ctx.req.complete && !smallBody(ctx.req);
    if (unread) lingerOnClose(ctx.req);
    send(
      res,
      unread ? { ...reply, headers: { ...reply.headers, Connection: 'close' } } : reply,
      ctx.requestId,
      this.now(),
    );
  }

  private log(ctx: Ctx, body: LoggedBody, status: number): void {
    if (!ctx.path.startsWith('/api/management/')) return;
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(ctx.query.keys())) {
      const all = ctx.query.getAll(k);
      query[k] = all.length === 1 ? all[0] : all;
    }
    this.requests.add(
      { method: ctx.method, path: ctx.path, query, body: body.value, status, time: new Date().toISOString() },
      body.bytes,
      ctx.route ?? '(no route)',
    );
  }
}

/** What the request log keeps of a body: the parsed JSON, the text when it is not JSON, or null. */
interface LoggedBody {
  value: unknown;
  bytes: number;
}
const NO_BODY: LoggedBody = { value: null, bytes: 0 };

/** Sets the handler's `ctx.body` (or `bodyError`); returns what the log keeps, sharing the text. */
function parseJson(ctx: Ctx, raw: Buffer): unknown {
  if (raw.length === 0) return null;
  const text = raw.toString('utf8');
  try {
    ctx.body = JSON.parse(text);
    return ctx.body;
  } catch (e) {
    ctx.bodyError = (e as Error).message;
    return text;
  }
}

const LINGER_MS = 500;

/**
 * Closes a connection whose request body is left (partly) unread as Go's net/http does: the
 * answer goes out, our side half-closes, and the socket closes a moment later without reading
 * the rest (it waits in the kernel's buffers, not in memory). Closing at once would reset the
 * connection, which can destroy the answer in the client's receive buffer before it is read.
 * node:http calls `destroySoon` after an answer with `Connection: close`: this socket's lingers.
 */
function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    // node:http has just resumed the request to discard its body: reading it is what this avoids.
    req.pause();
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/** A body node:http may read and discard after the answer, keeping the connection. */
const DISCARD_LIMIT = 64 << 10;
function smallBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) <= DISCARD_LIMIT;
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
