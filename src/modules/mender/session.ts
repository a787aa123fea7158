/**
 * One Mender client per server and credentials for the whole run, shared by the mender_*
 * modules, so request counters add up per run and a refused token stops every later write.
 */
import { z } from 'zod';
import { err, fleetError, ok, type FleetError, type Result } from '../../errors/index.js';
import { MenderClient, type ClientOptions } from '../../ota/client.js';
import { resolveEndpoint } from '../../ota/config.js';
import type { OtaStatsSnapshot } from '../../ota/stats.js';

/** Tuning from the `mender_api` variable (group_vars/all.yml), all optional. */
export const MenderApiVars = z
  .strictObject({
    concurrency: z.number().int().positive().optional(),
    rps: z.number().nonnegative().optional(),
    timeout_ms: z.number().int().positive().optional(),
    max_retries: z.number().int().nonnegative().optional(),
    base_delay_ms: z.number().int().nonnegative().optional(),
    max_delay_ms: z.number().int().nonnegative().optional(),
  })
  .optional();

const sessions = new Map<string, MenderClient>();
let firstFatal: FleetError | undefined;

/** Options given by the program (tests, the CLI) that beat the play's variables. */
let overrides: ClientOptions & { server?: string; token?: string } = {};

export function configureMender(o: ClientOptions & { server?: string; token?: string }): void {
  overrides = o;
}

/**
 * What the run knows of the server URL besides a host's variables: `--server`, `-e mender_server`
 * and where each host's `mender_server` is set. Given by the run (src/engine/run.ts), not as
 * variables: a flag is no fact a play could read or shadow.
 */
export interface MenderRunServer {
  server?: string;
  extraServer?: unknown;
  /** Where the host's `mender_server` of this value is set, when the inventory sets it. */
  varsFrom?: (host: string, value: unknown) => string | undefined;
}

let runServer: MenderRunServer = {};

export function configureMenderServer(o: MenderRunServer): void {
  runServer = o;
}

/** The client for a host: its server is chosen by src/ota/server-url.ts from the run's and the host's settings. */
export function menderClient(
  vars: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  host?: string,
): Result<MenderClient> {
  const ep = resolveEndpoint({
    server: overrides.server ?? runServer.server,
    extraServer: runServer.extraServer,
    token: overrides.token,
    vars,
    varsFrom: host === undefined ? undefined : runServer.varsFrom?.(host, vars.mender_server),
    env,
  });
  if (!ep.ok) return ep;
  const tuning = MenderApiVars.safeParse(vars.mender_api);
  if (!tuning.success) {
    const issue = tuning.error.issues[0];
    return err(
      fleetError(
        'mender.bad-api-vars',
        `mender_api${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`,
        { hint: 'mender_api takes concurrency, rps, timeout_ms, max_retries, base_delay_ms, max_delay_ms' },
      ),
    );
  }
  const auth = ep.value.auth;
  const key = `${ep.value.url} ${auth.kind === 'token' ? auth.token : `${auth.user}:${auth.password}`}`;
  let c = sessions.get(key);
  if (!c) {
    const t = tuning.data ?? {};
    c = new MenderClient(ep.value, {
      concurrency: t.concurrency,
      rps: t.rps,
      timeoutMs: t.timeout_ms,
      maxRetries: t.max_retries,
      baseDelayMs: t.base_delay_ms,
      maxDelayMs: t.max_delay_ms,
      ...overrides,
    });
    sessions.set(key, c);
  }
  return ok(c);
}

const FATAL = new Set([
  'ota.unreachable',
  'ota.unavailable',
  'ota.network',
  'ota.unauthorized',
  'ota.no-server',
  'ota.no-credentials',
  'ota.bad-server-url',
  'ota.not-mender',
]);

/** Remembers the first error that ends the run (unreachable server, refused token); others are per host. */
export function noteFatal(e: FleetError): void {
  if (FATAL.has(e.code)) firstFatal ??= e;
}

/** The first fatal OTA error of the run; the CLI maps it to an exit code with `exitCodeFor`. */
export function menderFatalError(): FleetError | undefined {
  return firstFatal;
}

/** Requests of the run, summed over every server used: for the report. */
export function menderRequestStats(): OtaStatsSnapshot {
  const total: OtaStatsSnapshot = { requests: 0, retries: 0, byEndpoint: {}, retriesByEndpoint: {}, outcomes: {} };
  for (const c of sessions.values()) {
    const s = c.stats.snapshot();
    total.requests += s.requests;
    total.retries += s.retries;
    for (const [k, v] of Object.entries(s.byEndpoint)) total.byEndpoint[k] = (total.byEndpoint[k] ?? 0) + v;
    for (const [k, v] of Object.entries(s.retriesByEndpoint))
      total.retriesByEndpoint[k] = (total.retriesByEndpoint[k] ?? 0) + v;
    for (const [k, v] of Object.entries(s.outcomes)) total.outcomes[k] = (total.outcomes[k] ?? 0) + v;
  }
  return total;
}

/** Ends the run's sessions (closes sockets, forgets counters and errors). */
export function closeMenderSessions(): void {
  for (const c of sessions.values()) c.close();
  sessions.clear();
  firstFatal = undefined;
  overrides = {};
  runServer = {};
}
