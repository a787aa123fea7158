import { Octokit } from '@octokit/rest';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { log, maskSecrets } from '../log/index.js';
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

/**
 * A failed GitHub request (an octokit RequestError, or a network failure) as a FleetError: what could
 * not be done, GitHub's status and message, the hint for that status. Never carries the token.
 */
export function requestFailure(
  e: unknown,
  o: { code: string; what: string; repository: string; hints: Record<number, string> },
): FleetError {
  const status = httpStatus(e);
  const why = maskSecrets(e instanceof Error ? e.message : String(e));
  return fleetError(o.code, `${o.what}: ${status ? `HTTP ${status} ` : ''}${why}`, {
    hint: (status ? o.hints[status] : undefined) ?? 'check GITHUB_API_URL and that GitHub is reachable from the runner',
    context: { status, repository: o.repository },
  });
}
