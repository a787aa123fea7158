/**
 * When to retry a request and how long to wait: exponential backoff with full jitter, and the
 * server's Retry-After when it sends one. Pure functions; the transport does the waiting.
 */

export interface BackoffOptions {
  /** First delay ceiling in ms; doubles each attempt. */
  baseDelayMs: number;
  /** Upper bound for one backoff delay in ms. */
  maxDelayMs: number;
}

/**
 * Full jitter (a uniform delay between 0 and the exponential ceiling) spreads the retries of many
 * concurrent requests, so a fleet-sized run does not hammer a recovering server in lockstep.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined | null, now: number = Date.now()): number | undefined {
  if (header === undefined || header === null) return undefined;
  const text = String(header).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Error codes of node's sockets (src/ota/http.ts maps undici's onto them) that mean the request may not have reached the server or its answer got lost. */
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'ERR_BAD_RESPONSE',
]);

/** The server is not there at all (yet): retried a few times, then "unreachable". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

export type Failure = { kind: 'status'; status: number } | { kind: 'network'; code: string };

export type Verdict = 'retry' | 'fail';

/** Retry 5xx (except 501), 408, 429, dropped connections and timeouts; never other 4xx. */
export function classify(f: Failure): Verdict {
  if (f.kind === 'status') {
    if (f.status === 408 || f.status === 429) return 'retry';
    return f.status >= 500 && f.status !== 501 ? 'retry' : 'fail';
  }
  return TRANSIENT_NETWORK.has(f.code) || UNREACHABLE.has(f.code) ? 'retry' : 'fail';
}

export function isUnreachableCode(code: string): boolean {
  return UNREACHABLE.has(code);
}

/**
 * Whether the server may have acted on a request whose answer we did not get: then a retry of a
 * non-idempotent write must first look for its effect. A 429 or a refused connection means it did not.
 */
export function outcomeUnknown(f: Failure): boolean {
  if (f.kind === 'status') return f.status !== 429 && f.status !== 408;
  return !UNREACHABLE.has(f.code);
}
