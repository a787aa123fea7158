/**
 * The HTTP exchange under the transport, on undici: a keep-alive connection pool per run, JSON in
 * and out, no redirects followed. undici rather than axios because the main job reads one
 * configuration per device: on this kind of machine axios spent ~104 µs of CPU per request
 * against ~32 µs for undici (docs/performance.md). HTTP_PROXY/HTTPS_PROXY/NO_PROXY are honoured.
 */
import { EventEmitter } from 'node:events';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

export interface HttpRequest {
  method: string;
  /** Path and query, appended to the base URL's path. */
  path: string;
  headers: Record<string, string>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  /** Deadline of the whole exchange: headers and the complete body must be in by then. */
  timeoutMs: number;
  /** Largest body read; a longer one is cut off unread (a hostile or broken server). */
  maxBodyBytes?: number;
}

/** Default body bound: a page of 500 devices with every attribute is well under 2 MB. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface HttpAnswer {
  status: number;
  /** Lower-case names, repeated headers joined with ", ". */
  headers: Record<string, string | undefined>;
  /** Parsed JSON when the body is JSON, else the text (undefined when empty). */
  data: unknown;
}

/**
 * A failed exchange: `code` says what happened to the connection (ECONNREFUSED, ETIMEDOUT, ...);
 * `detail`, when the answer had begun, what had arrived ("sent 12 bytes in 2.0 s").
 */
export class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The code of a body longer than the request's `maxBodyBytes`. */
export const BODY_TOO_LARGE = 'ERR_BODY_TOO_LARGE';

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'];

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private readonly prefix: string;

  constructor(baseUrl: string, connections: number, env: NodeJS.ProcessEnv = process.env) {
    const u = new URL(baseUrl);
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
    const opts = { connections, keepAliveTimeout: 10_000, pipelining: 1 };
    this.dispatcher = PROXY_VARS.some((k) => env[k]) ? new EnvHttpProxyAgent(opts) : new Agent(opts);
  }

  async send(r: HttpRequest): Promise<HttpAnswer> {
    const json = r.body !== undefined && typeof r.body !== 'string';
    const headers = json ? { ...r.headers, 'content-type': 'application/json' } : r.headers;
    const started = Date.now();
    // One deadline for the whole exchange: undici's own timeouts restart with every byte, so a
    // server dripping a byte a second would never end otherwise.
    const deadline = new Deadline(r.timeoutMs);
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await this.dispatcher.request({
          origin: this.origin,
          path: this.prefix + r.path,
          method: r.method,
          headers,
          body: r.body === undefined ? undefined : json ? JSON.stringify(r.body) : (r.body as string),
          headersTimeout: r.timeoutMs,
          bodyTimeout: r.timeoutMs,
          signal: deadline,
        });
      } catch (e) {
        throw deadline.aborted ? new HttpError('ETIMEDOUT', 'no answer before the deadline') : asHttpError(e);
      }
      const text = await readBody(res, r.maxBodyBytes ?? MAX_BODY_BYTES, deadline, started);
      return { status: res.statusCode, headers: flat(res.headers), data: parseBody(text) };
    } finally {
      deadline.clear();
    }
  }

  /** Closes kept-alive sockets so a CLI run can exit promptly. */
  close(): void {
    void this.dispatcher.destroy().catch(() => undefined);
  }
}

/**
 * The exchange's deadline, handed to undici as its `signal`. An EventEmitter rather than an
 * AbortSignal: undici listens to an AbortSignal through EventTarget, whose listener costs ~7 µs
 * a request here (0.7 s of CPU in a 100k-device run), against well under 1 µs for `once`.
 */
class Deadline extends EventEmitter {
  aborted = false;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    super();
    this.timer = setTimeout(() => {
      this.aborted = true;
      this.emit('abort');
    }, ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * The body as text, at most `max` bytes: a longer one (announced or sent) is cut off unread. When
 * the deadline passes mid-body, the error says how much came in how long.
 */
function readBody(res: Dispatcher.ResponseData, max: number, deadline: Deadline, started: number): Promise<string> {
  const announced = Number(res.headers['content-length']);
  if (Number.isFinite(announced) && announced > max) {
    res.body.destroy();
    throw new HttpError(BODY_TOO_LARGE, 'body too large', `announced ${announced} bytes (Content-Length)`);
  }
  const body = res.body;
  const chunks: Buffer[] = [];
  let bytes = 0;
  const got = () => `sent ${bytes} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  // Listeners, not `for await`: the async iterator costs a few µs a request, one request a device.
  return new Promise((resolve, reject) => {
    body.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= max) chunks.push(c);
      else body.destroy(new HttpError(BODY_TOO_LARGE, 'body too large', `${got()}, more than the ${max} allowed`));
    });
    body.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    body.once('error', (e) => {
      if (e instanceof HttpError) reject(e);
      else if (deadline.aborted) reject(new HttpError('ETIMEDOUT', 'body not complete before the deadline', got()));
      else {
        const h = asHttpError(e);
        reject(new HttpError(h.code, h.message, bytes ? got() : undefined));
      }
    });
    // Closed with neither end nor error (destroyed quietly): settled already, or never will be.
    body.once('close', () => {
      if (!body.readableEnded && !body.errored)
        reject(new HttpError('ECONNRESET', 'connection closed mid-body', got()));
    });
  });
}

/** JSON when it parses (Mender answers JSON, some endpoints a quoted or bare token), else the text. */
function parseBody(text: string): unknown {
  if (text === '') return undefined;
  const c = text.charCodeAt(0);
  // Only what can start a JSON document; a JWT or a plain message stays text.
  if (c === 123 || c === 91 || c === 34) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function flat(h: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k in h) {
    const v = h[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** undici's error codes, in the vocabulary of node's sockets that retry.ts speaks. */
const UNDICI_CODES: Record<string, string> = {
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CLOSED: 'ECONNRESET',
  UND_ERR_ABORTED: 'ECONNABORTED',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'ERR_BAD_RESPONSE',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'ERR_BAD_RESPONSE',
  HPE_INVALID_CONSTANT: 'ERR_BAD_RESPONSE',
};

function asHttpError(e: unknown): HttpError {
  const x = e as { code?: unknown; cause?: { code?: unknown }; message?: unknown; errors?: { code?: unknown }[] };
  // Connection errors arrive as node's own codes; an AggregateError (IPv4 + IPv6 tried) carries them inside.
  const raw = [x?.code, x?.cause?.code, x?.errors?.[0]?.code].find((c): c is string => typeof c === 'string');
  const code = raw
    ? (UNDICI_CODES[raw] ?? raw)
    : /hang up|reset|closed/i.test(String(x?.message ?? ''))
      ? 'ECONNRESET'
      : 'ERR_NETWORK';
  return new HttpError(code, String(x?.message ?? code));
}
