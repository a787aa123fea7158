/**
 * One HTTP request to the Mender management API, done reliably: bounded concurrency, a
 * requests-per-second limit, retries with backoff and jitter, Retry-After, login, response
 * validation, and counters per endpoint. Every outcome is a Result; nothing here throws.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { z } from 'zod';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { log, maskSecrets, registerSecret } from '../log/index.js';
import type { OtaAuth, OtaEndpoint } from './config.js';
import { RateLimiter, realSleep, type Sleep } from './rate.js';
import { backoffDelay, classify, isUnreachableCode, outcomeUnknown, parseRetryAfter, type Failure } from './retry.js';
import { ErrorBody, LoginToken } from './schemas.js';
import { SERVER_URL_HINT } from './server-url.js';
import { OtaStats } from './stats.js';
import { BODY_TOO_LARGE, HttpClient, HttpError, MAX_BODY_BYTES, type HttpAnswer } from './http.js';

export interface TransportOptions {
  /** Requests in flight at once. */
  concurrency?: number;
  /** Requests per second; 0 = unlimited. */
  rps?: number;
  timeoutMs?: number;
  /** Retries after the first attempt. */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the request fails instead. */
  maxRetryAfterMs?: number;
  /** Largest answer body read; a longer one ends the request unread (`ota.too-large`). */
  maxBodyBytes?: number;
  sleep?: Sleep;
  random?: () => number;
}

export const DEFAULTS: Required<Omit<TransportOptions, 'sleep' | 'random'>> = {
  concurrency: 16,
  rps: 0,
  timeoutMs: 30_000,
  maxRetries: 6,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 120_000,
  maxBodyBytes: MAX_BODY_BYTES,
};

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Call<T> {
  /** Endpoint label for counters and messages, e.g. `POST /api/management/v1/deployments/deployments`. */
  op: string;
  method: Method;
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  /** Schema of a successful body; omit for bodiless answers (204). */
  schema?: z.ZodType<T>;
  /** Statuses that count as success; default 2xx. */
  okStatus?: (status: number) => boolean;
  /**
   * For a write that is not idempotent: called before a retry when the previous attempt may have
   * reached the server. Returning a value adopts it as the result instead of sending again.
   */
  recover?: () => Promise<Result<T | undefined>>;
}

export interface Reply<T> {
  status: number;
  data: T;
  headers: Record<string, string | undefined>;
}

/** A 404 on an endpoint that names no object (a list, a search, a create): not a missing object, a server (or URL) without that API. */
const NOT_FOUND_HINT = `the server has no such endpoint: the URL names another server or a path below the Mender server's root, or the server predates the API fleetplay uses (Mender 3.x management API) — ${SERVER_URL_HINT}`;

const AUTH_HINT =
  'check MENDER_ACCESS_TOKEN (a personal access token of a user allowed to manage devices and deployments), or MENDER_USER/MENDER_PASSWORD';

export class Transport {
  readonly stats = new OtaStats();
  private readonly opts: Required<Omit<TransportOptions, 'sleep' | 'random'>>;
  private readonly http: HttpClient;
  private readonly limit: LimitFunction;
  private readonly rate: RateLimiter;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  /** Sleep and jitter are the real ones (not a test's): the work can move to another thread. */
  readonly realClock: boolean;
  private jwt: string | undefined;
  private login: Promise<Result<string>> | undefined;
  /** Once the server refused our credentials, every later call fails at once: no write after a 401/403. */
  private authFailure: FleetError | undefined;
  /** Once a request gave up on an unreachable server, the queued ones fail at once instead of each retrying. */
  private down: FleetError | undefined;

  constructor(
    readonly endpoint: OtaEndpoint,
    options: TransportOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...stripUndefined(options) };
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.realClock = options.sleep === undefined && options.random === undefined;
    this.limit = pLimit(this.opts.concurrency);
    this.rate = new RateLimiter(this.opts.rps, Date.now, this.sleep);
    this.http = new HttpClient(endpoint.url, this.opts.concurrency);
    if (endpoint.auth.kind === 'token') this.jwt = endpoint.auth.token;
  }

  /** Requests in flight at once: callers fanning out many reads start no more workers than this. */
  get concurrency(): number {
    return this.opts.concurrency;
  }

  /** The tuning in effect, for a worker thread that makes requests on this transport's behalf. */
  get settings(): Readonly<Required<Omit<TransportOptions, 'sleep' | 'random'>>> {
    return this.opts;
  }

  /**
   * The bearer token (logging in first when the run authenticates with user and password), or the
   * error that already stopped this transport.
   */
  async bearer(): Promise<Result<string>> {
    const halted = this.halted();
    return halted ? err(halted) : this.token();
  }

  /**
   * An error met on this transport's behalf elsewhere (a worker thread): a refused token or an
   * unreachable server stops the calls made here too, as if met here.
   */
  absorb(e: FleetError): void {
    if (e.code === 'ota.unauthorized') this.authFailure ??= e;
    if (e.code === 'ota.unreachable') this.down ??= e;
  }

  /** The first authentication failure seen, if any. */
  get refused(): FleetError | undefined {
    return this.authFailure;
  }

  async request<T>(call: Call<T>): Promise<Result<Reply<T>>> {
    const halted = this.halted();
    if (halted) return err(halted);
    if (!this.jwt) {
      const token = await this.token();
      if (!token.ok) return token;
    }
    let relogged = false;
    let unknownBefore = false;
    for (let attempt = 0; ; attempt++) {
      if (unknownBefore && call.recover) {
        const found = await call.recover();
        if (!found.ok) return found;
        if (found.value !== undefined) return ok({ status: 200, data: found.value, headers: {} });
      }
      const sent = await this.send(call);
      if (sent.kind === 'halted') return err(sent.error);
      if (sent.kind === 'answer') {
        const res = sent.res;
        if ((call.okStatus ?? is2xx)(res.status)) return this.accept(call, res);
        if (res.status === 401 && this.endpoint.auth.kind === 'login' && !relogged) {
          // A JWT from login can expire during a long run: log in again once.
          relogged = true;
          this.jwt = undefined;
          this.login = undefined;
          const again = await this.token();
          if (!again.ok) return again;
          attempt--;
          continue;
        }
        if (res.status === 401 || res.status === 403) return err(this.refuse(call, res.status));
      }
      const failure: Failure =
        sent.kind === 'answer' ? { kind: 'status', status: sent.res.status } : { kind: 'network', code: sent.code };
      if (classify(failure) === 'fail' || attempt >= this.opts.maxRetries) return err(this.giveUp(call, sent, attempt));
      const wait = this.waitFor(failure, sent.kind === 'answer' ? sent.res : undefined, attempt);
      if (wait === undefined) return err(this.waitTooLong(call, sent));
      unknownBefore = unknownBefore || outcomeUnknown(failure);
      this.stats.retry(call.op);
      log.debug('retrying Mender request', { op: call.op, attempt: attempt + 1, wait, reason: describe(sent) });
      await this.sleep(wait);
    }
  }

  private halted(): FleetError | undefined {
    return this.authFailure ?? this.down;
  }

  /** The final error of a call; an unreachable server also stops the calls still queued. */
  private giveUp(call: Call<unknown>, sent: Sent, attempt: number): FleetError {
    const e = this.finalError(call, sent, attempt);
    if (e.code === 'ota.unreachable') this.down ??= e;
    return e;
  }

  private async send(call: Call<unknown>): Promise<Sent | { kind: 'halted'; error: FleetError }> {
    return this.limit(async () => {
      // The slot is taken with a connection in hand: between it and the send nothing waits, so the
      // requests sent keep the budget's spacing (taken before, they could bunch behind the limit).
      if (this.opts.rps > 0) await this.rate.take();
      const halted = this.halted();
      if (halted) return { kind: 'halted', error: halted } as const;
      this.stats.count(call.op);
      try {
        const query = call.query?.toString();
        const res = await this.http.send({
          method: call.method,
          path: query ? `${call.path}?${query}` : call.path,
          body: call.body,
          headers: { authorization: `Bearer ${this.jwt ?? ''}`, accept: 'application/json' },
          timeoutMs: this.opts.timeoutMs,
          maxBodyBytes: this.opts.maxBodyBytes,
        });
        this.stats.status(res.status);
        return { kind: 'answer', res } as const;
      } catch (e) {
        const code = networkCode(e);
        this.stats.status(code);
        return { kind: 'network', code, detail: e instanceof HttpError ? e.detail : undefined } as const;
      }
    });
  }

  private accept<T>(call: Call<T>, res: HttpAnswer): Result<Reply<T>> {
    const headers = res.headers;
    if (!call.schema) return ok({ status: res.status, data: undefined as T, headers });
    const parsed = call.schema.safeParse(res.data);
    if (parsed.success) return ok({ status: res.status, data: parsed.data, headers });
    const issue = parsed.error.issues[0];
    const where =
      issue && issue.path.length ? ` at ${issue.path.join('.')} (${sample(valueAt(res.data, issue.path))})` : '';
    const wrong = wrongBody(res);
    return err(
      fleetError(
        'ota.bad-response',
        wrong
          ? `${call.op}: ${this.described} answered HTTP ${res.status} with ${wrong}, where the Mender API sends JSON`
          : `${call.op}: unexpected response from ${this.described}${where}: ${issue?.message ?? 'invalid'}`,
        {
          hint: `the server does not answer as the Mender management API describes — ${SERVER_URL_HINT}`,
          context: { endpoint: call.op, status: res.status },
        },
      ),
    );
  }

  /** Delay before the next attempt, or undefined when the server asks for more than we wait. */
  private waitFor(f: Failure, res: HttpAnswer | undefined, attempt: number): number | undefined {
    const backoff = backoffDelay(attempt, this.opts, this.random);
    if (f.kind !== 'status' || !res) return backoff;
    const after = parseRetryAfter(res.headers['retry-after']);
    if (after === undefined) return backoff;
    if (after > this.opts.maxRetryAfterMs) return undefined;
    // Honour the server's wish, plus a little jitter so the queued requests don't return as one wave.
    return after + Math.floor(this.random() * Math.min(after / 10 + 1, 1000));
  }

  /**
   * The server asked for a longer wait (Retry-After) than the cap: say what it asked, the cap and
   * how to raise it, instead of a bare status (the run cannot tell a throttle from an outage otherwise).
   */
  private waitTooLong(call: Call<unknown>, sent: Sent): FleetError {
    const res = sent.kind === 'answer' ? sent.res : undefined;
    const raw = res?.headers['retry-after'] ?? '';
    const asked = Math.ceil((parseRetryAfter(raw) ?? 0) / 1000);
    const cap = this.opts.maxRetryAfterMs;
    return fleetError(
      'ota.unavailable',
      `${call.op}: ${this.described} answered HTTP ${res?.status ?? '?'}${res?.status === 429 ? ' (too many requests)' : ''} and asked to wait ${asked} s (Retry-After: ${raw}), longer than fleetplay waits (${cap / 1000} s); gave up without retrying`,
      {
        hint: `run again later, lower the request rate (mender_api.rps, mender_api.concurrency), or wait longer: mender_api.max_retry_after_ms: ${Math.max(asked * 1000, cap)} in group_vars/all.yml`,
        context: { endpoint: call.op, status: res?.status, retryAfter: raw },
      },
    );
  }

  private refuse(call: Call<unknown>, status: number): FleetError {
    this.authFailure = fleetError(
      'ota.unauthorized',
      `${this.described} refused the request ${call.op} (HTTP ${status}): token wrong or lacking permission`,
      { hint: AUTH_HINT, context: { endpoint: call.op, status } },
    );
    return this.authFailure;
  }

  /** `OTA server URL (from SOURCE)`: every error about the server says which one and why it was chosen. */
  get described(): string {
    return describeServer(this.endpoint);
  }

  private finalError(call: Call<unknown>, sent: Sent, attempt: number): FleetError {
    const tries = attempt + 1;
    const after = `after ${tries} attempt${tries > 1 ? 's' : ''}`;
    if (sent.kind === 'network' && sent.code === BODY_TOO_LARGE) return this.tooLarge(call, sent.detail);
    if (sent.kind === 'network' && sent.code === 'ETIMEDOUT' && sent.detail)
      return fleetError(
        'ota.unreachable',
        `${call.op}: ${this.described} ${sent.detail}, gave up after the deadline of ${this.opts.timeoutMs} ms (${after})`,
        {
          hint: 'the server answers too slowly or never finishes its answer: check the server and the network to it, or raise mender_api.timeout_ms',
          context: { endpoint: call.op, code: sent.code },
        },
      );
    if (sent.kind === 'network') {
      const unreachable = isUnreachableCode(sent.code) || classify({ kind: 'network', code: sent.code }) === 'retry';
      return fleetError(
        unreachable ? 'ota.unreachable' : 'ota.network',
        `${this.described} could not be reached: ${networkReason(sent.code)} (${sent.code}) ${after} — ${SERVER_URL_HINT}`,
        { context: { endpoint: call.op, code: sent.code } },
      );
    }
    const { status } = sent.res;
    if (status >= 300 && status < 400) return this.redirected(call, sent.res);
    const body = ErrorBody.safeParse(sent.res.data);
    const retryable = classify({ kind: 'status', status }) === 'retry';
    const context = { endpoint: call.op, status };
    if (!body.success && !retryable && notJson(sent.res)) {
      // A web page where the management API should be: the URL names some other server.
      return fleetError(
        'ota.not-mender',
        `${this.described} answered ${call.op} with HTTP ${status} and ${kindOfBody(sent.res)}, not the Mender management API — ${SERVER_URL_HINT}`,
        {
          hint: 'give the root of the Mender server (https://host[:port]), not a web page or a path below it',
          context,
        },
      );
    }
    const detail = body.success ? `: ${maskSecrets(body.data.error)}` : '';
    return fleetError(
      retryable ? 'ota.unavailable' : `ota.http-${status}`,
      `${call.op}: ${this.described} answered HTTP ${status}${detail}${retryable ? ` (${after})` : ''}`,
      { context, hint: status === 404 && !call.op.includes('{id}') ? NOT_FOUND_HINT : undefined },
    );
  }

  private tooLarge(call: Call<unknown>, detail: string | undefined): FleetError {
    return fleetError(
      'ota.too-large',
      `${call.op}: ${this.described} ${detail ?? 'sent too large a body'} — stopped reading it (limit ${this.opts.maxBodyBytes} bytes)`,
      {
        hint: `no Mender answer is this large: check that the server URL names a Mender server (${SERVER_URL_HINT}), or raise mender_api.max_body_bytes`,
        context: { endpoint: call.op },
      },
    );
  }

  /** No redirect is followed (a loop cannot hang a run, a write is never re-sent elsewhere): say where it pointed. */
  private redirected(call: Call<unknown>, res: HttpAnswer): FleetError {
    const to = res.headers['location'];
    const moved = res.status === 301 || res.status === 308;
    let target: string | undefined;
    try {
      target = to ? new URL(to, this.endpoint.url).origin : undefined;
    } catch {
      target = undefined;
    }
    return fleetError(
      'ota.redirect',
      `${call.op}: ${this.described} answered HTTP ${res.status} redirecting to ${to ?? '(no Location)'}; fleetplay follows no redirects`,
      { hint: this.redirectHint(moved, target), context: { endpoint: call.op, status: res.status, location: to } },
    );
  }

  /** What a redirect most likely means for the server URL: http → https, another host, or a path (a login page). */
  private redirectHint(moved: boolean, target: string | undefined): string {
    if (moved && target)
      return `the server moved permanently: set the server URL to ${target} (--server, mender_server or MENDER_SERVER_URL)`;
    const here = new URL(this.endpoint.url);
    if (!target)
      return `the redirect says not where to (no Location header): the server URL probably needs https:// or a path fix (give the root of the Mender server) — ${SERVER_URL_HINT}`;
    if (target === here.origin)
      return `give the server's final URL, not one that redirects (a path below the root, or a login page in front of it) — ${SERVER_URL_HINT}`;
    const to = new URL(target);
    const https = here.protocol === 'http:' && to.protocol === 'https:' && to.hostname === here.hostname;
    return `${https ? 'the server wants https://' : `it points to another server (${target})`}: if that is the Mender server, set the server URL to ${target}; give the server's final URL, not one that redirects — ${SERVER_URL_HINT}`;
  }

  private async token(): Promise<Result<string>> {
    if (this.jwt) return ok(this.jwt);
    const auth = this.endpoint.auth;
    if (auth.kind === 'token') return ok(auth.token);
    this.login ??= this.doLogin(auth);
    const t = await this.login;
    if (t.ok) this.jwt = t.value;
    else this.login = undefined;
    return t;
  }

  /** POST useradm/auth/login with basic auth → a JWT for the rest of the run. */
  private async doLogin(auth: Extract<OtaAuth, { kind: 'login' }>): Promise<Result<string>> {
    const op = 'POST /api/management/v1/useradm/auth/login';
    const basic = Buffer.from(`${auth.user}:${auth.password}`).toString('base64');
    registerSecret(basic);
    for (let attempt = 0; ; attempt++) {
      await this.rate.take();
      this.stats.count(op);
      let sent: Sent;
      try {
        const res = await this.http.send({
          method: 'POST',
          path: '/api/management/v1/useradm/auth/login',
          headers: { authorization: `Basic ${basic}` },
          timeoutMs: this.opts.timeoutMs,
          maxBodyBytes: this.opts.maxBodyBytes,
        });
        this.stats.status(res.status);
        sent = { kind: 'answer', res };
      } catch (e) {
        sent = { kind: 'network', code: networkCode(e), detail: e instanceof HttpError ? e.detail : undefined };
      }
      if (sent.kind === 'answer' && is2xx(sent.res.status)) return this.loginAnswer(op, sent.res);
      if (sent.kind === 'answer' && (sent.res.status === 401 || sent.res.status === 403)) {
        this.authFailure = fleetError(
          'ota.unauthorized',
          `${this.described} refused the login of ${auth.user} (HTTP ${sent.res.status}): user or password wrong, or lacking permission`,
          {
            hint: AUTH_HINT,
            context: { endpoint: op, status: sent.res.status },
          },
        );
        return err(this.authFailure);
      }
      const failure: Failure =
        sent.kind === 'answer' ? { kind: 'status', status: sent.res.status } : { kind: 'network', code: sent.code };
      if (classify(failure) === 'fail' || attempt >= this.opts.maxRetries)
        return err(this.finalError({ op, method: 'POST', path: '' }, sent, attempt));
      const wait = this.waitFor(failure, sent.kind === 'answer' ? sent.res : undefined, attempt);
      if (wait === undefined) return err(this.waitTooLong({ op, method: 'POST', path: '' }, sent));
      this.stats.retry(op);
      await this.sleep(wait);
    }
  }

  /**
   * The login answer must look like a JWT: a proxy's or another app's login page answers 200 too,
   * and taken as the token it would only come back later as "token wrong".
   */
  private loginAnswer(op: string, res: HttpAnswer): Result<string> {
    const jwt = LoginToken.safeParse(unquote(typeof res.data === 'string' ? res.data : ''));
    if (jwt.success) {
      registerSecret(jwt.data);
      return ok(jwt.data);
    }
    const type = res.headers['content-type'] ?? 'none';
    return err(
      fleetError(
        'ota.bad-response',
        `${op}: ${this.described} answered HTTP ${res.status} with ${wrongBody(res) ?? `JSON (content-type ${type})`}, not a token: Mender's login answers with a JWT (three base64url parts joined by dots)`,
        {
          hint: `the URL leads to some other web page or app (a proxy's or SSO login page?) — give the root of the Mender server (${SERVER_URL_HINT}), or use MENDER_ACCESS_TOKEN instead of MENDER_USER/MENDER_PASSWORD`,
          context: { endpoint: op, status: res.status, contentType: type },
        },
      ),
    );
  }

  /** Closes kept-alive sockets so a CLI run can exit promptly. */
  close(): void {
    this.http.close();
  }
}

type Sent = { kind: 'answer'; res: HttpAnswer } | { kind: 'network'; code: string; detail?: string };

const is2xx = (s: number) => s >= 200 && s < 300;

function networkCode(e: unknown): string {
  return e instanceof HttpError ? e.code : 'ERR_NETWORK';
}

/** `OTA server URL (from SOURCE)`. */
export function describeServer(e: Pick<OtaEndpoint, 'url' | 'from'>): string {
  return `OTA server ${e.url}${e.from ? ` (from ${e.from})` : ''}`;
}

/** What a socket error code means, in words an operator checks against. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'no answer in time (timeout)',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed while sending',
  ERR_BAD_RESPONSE: 'the answer is not HTTP',
};

function networkReason(code: string): string {
  if (NETWORK_REASONS[code]) return NETWORK_REASONS[code];
  if (/CERT|SSL|TLS/.test(code)) return 'TLS certificate not accepted';
  return 'network error';
}

/** A body that is there and is not JSON: Mender's errors are always JSON. */
function notJson(res: HttpAnswer): boolean {
  return res.data !== undefined && !/json/i.test(res.headers['content-type'] ?? '') && typeof res.data !== 'object';
}

/**
 * What a body that is no JSON document at all is, in words (undefined for JSON of the wrong
 * shape): an operator tells a proxy's login page from a cut-off answer by this.
 */
function wrongBody(res: HttpAnswer): string | undefined {
  const type = res.headers['content-type'];
  const d = res.data;
  if (d === undefined) return 'an empty body';
  if (d === null || (typeof d === 'string' && d.trim() === 'null')) return 'a null body (JSON `null`)';
  if (typeof d !== 'string') return /json/i.test(type ?? 'json') ? undefined : `JSON but content-type ${type}`;
  if (/^\s*</.test(d) || /html/i.test(type ?? '')) return `an HTML page (content-type ${type ?? 'none'})`;
  if (/^[[{"]/.test(d))
    return `truncated or malformed JSON (${Buffer.byteLength(d)} bytes, ending ${JSON.stringify(d.slice(-20))})`;
  return `${type ? `content-type ${type}` : 'no content-type'} and text that is not JSON`;
}

/** The value a schema check failed on, for the message: what the server sent there. */
function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let v = data;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function sample(v: unknown): string {
  const text = v === undefined ? 'missing' : JSON.stringify(v);
  return maskSecrets(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

function kindOfBody(res: HttpAnswer): string {
  return /html/i.test(res.headers['content-type'] ?? '') || /^\s*</.test(String(res.data))
    ? 'an HTML page'
    : 'plain text';
}

function describe(sent: Sent): string {
  return sent.kind === 'answer' ? `HTTP ${sent.res.status}` : sent.code;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
