import { Octokit } from '@octokit/rest';
import { err, ok, type Result } from '../errors/index.js';
import { log } from '../log/index.js';
import { DEFAULT_API_URL } from './env.js';

export interface ClientInput {
  token?: string;
  /** REST API root; default https://api.github.com (pass `fromActionsEnv().apiUrl` in Actions). */
  baseUrl?: string;
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/** One octokit for fleetplay's GitHub calls: its user agent, our log, no request options printed. */
export function octokitFor(input: ClientInput): Octokit {
  return new Octokit({
    auth: input.token,
    baseUrl: (input.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, ''),
    userAgent: 'fleetplay',
    // Octokit's own request log would print request options; failures come back to the caller as values.
    log: {
      debug: () => {},
      info: (m: string) => log.debug(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.debug(m),
    },
    request: input.fetch ? { fetch: input.fetch } : {},
  });
}

export const httpStatus = (e: unknown): number | undefined =>
  typeof (e as { status?: unknown }).status === 'number' ? (e as { status: number }).status : undefined;

/**
 * GitHub answers the odd 502/503 and connections drop; the writes sent through here are
 * idempotent (a status, a comment edited in place), so they are simply sent again. A 4xx will not
 * get better by repeating it.
 */
export async function withRetries<T>(send: () => Promise<T>, delays: number[]): Promise<Result<T, unknown>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return ok(await send());
    } catch (e) {
      const status = httpStatus(e);
      const transient = status === undefined || status >= 500;
      const delay = delays[attempt];
      if (!transient || delay === undefined) return err(e);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
