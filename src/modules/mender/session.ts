/**
 * The Mender plugin's state for one run (a service of the run context, src/run): one client per
 * server and credentials, shared by the mender_* modules, so request counters add up per run and
 * a refused token stops every later write of that run, and of no other.
 */
import { z } from 'zod';
import { err, fleetError, ok, type FleetError, type Result } from '../../errors/index.js';
import { MenderClient, type ClientOptions } from '../../ota/client.js';
import { resolveEndpoint } from '../../ota/config.js';
import { OtaStats, type OtaStatsSnapshot } from '../../ota/stats.js';
import type { RunService, RunSettings, ServiceDef } from '../../run/context.js';

/** Tuning from the `mender_api` variable (group_vars/all.yml), all optional. */
export const MenderApiVars = z
  .strictObject({
    concurrency: z.number().int().positive().optional(),
    rps: z.number().nonnegative().optional(),
    timeout_ms: z.number().int().positive().optional(),
    max_retries: z.number().int().nonnegative().optional(),
    base_delay_ms: z.number().int().nonnegative().optional(),
    max_delay_ms: z.number().int().nonnegative().optional(),
    max_retry_after_ms: z.number().int().nonnegative().optional(),
    max_body_bytes: z.number().int().positive().optional(),
    max_items: z.number().int().positive().optional(),
    /** The server's cap of active deployments (hosted Mender: 800); 0: none. */
    max_active_deployments: z.number().int().nonnegative().optional(),
  })
  .optional();

/**
 * What the run knows of the server URL besides a host's variables: `--server`, `-e mender_server`
 * and where each host's `mender_server` is set. Given by the run, not as variables: a flag is no
 * fact a play could read or shadow. Tests add client options and a token (they beat the play's).
 */
export interface MenderRunServer extends ClientOptions {
  server?: string;
  token?: string;
  extraServer?: unknown;
  /** Where the host's `mender_server` of this value is set, when the inventory sets it. */
  varsFrom?: (host: string, value: unknown) => string | undefined;
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
  'ota.redirect',
  'ota.paging',
  'ota.too-large',
]);

export class MenderSessions implements RunService {
  private readonly clients = new Map<string, MenderClient>();
  private firstFatal: FleetError | undefined;

  constructor(private readonly run: MenderRunServer = {}) {}

  /** The client for a host: its server is chosen by src/ota/server-url.ts from the run's and the host's settings. */
  client(vars: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, host?: string): Result<MenderClient> {
    const { server, token, extraServer, varsFrom, ...options } = this.run;
    const ep = resolveEndpoint({
      server,
      extraServer,
      token,
      vars,
      varsFrom: host === undefined ? undefined : varsFrom?.(host, vars.mender_server),
      env,
    });
    if (!ep.ok) return ep;
    const tuning = MenderApiVars.safeParse(vars.mender_api);
    if (!tuning.success) return err(badTuning(tuning.error.issues[0]));
    const auth = ep.value.auth;
    const key = `${ep.value.url} ${auth.kind === 'token' ? auth.token : `${auth.user}:${auth.password}`}`;
    let c = this.clients.get(key);
    if (!c) {
      const t = tuning.data ?? {};
      c = new MenderClient(ep.value, {
        concurrency: t.concurrency,
        rps: t.rps,
        timeoutMs: t.timeout_ms,
        maxRetries: t.max_retries,
        baseDelayMs: t.base_delay_ms,
        maxDelayMs: t.max_delay_ms,
        maxRetryAfterMs: t.max_retry_after_ms,
        maxBodyBytes: t.max_body_bytes,
        maxItems: t.max_items,
        maxActiveDeployments: t.max_active_deployments,
        ...options,
      });
      this.clients.set(key, c);
    }
    return ok(c);
  }

  /** Remembers the first error that ends the run (unreachable server, refused token); others are per host. */
  noteFatal(e: FleetError): void {
    if (FATAL.has(e.code)) this.firstFatal ??= e;
  }

  /** The first fatal OTA error of the run; the CLI maps it to an exit code with `exitCodeFor`. */
  fatal(): FleetError | undefined {
    return this.firstFatal;
  }

  /** Requests of the run, summed over every server used: for the report. */
  stats(): OtaStatsSnapshot {
    const total = new OtaStats();
    for (const c of this.clients.values()) {
      total.merge(c.stats.snapshot());
      total.addBudget(c.stats.usage(c.transport.endpoint.url, c.transport.settings.rps));
    }
    return total.snapshot();
  }

  /** Closes the run's sockets. */
  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

function badTuning(issue: z.core.$ZodIssue | undefined): FleetError {
  return fleetError(
    'mender.bad-api-vars',
    `mender_api${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`,
    {
      hint: 'mender_api takes concurrency, rps, timeout_ms, max_retries, base_delay_ms, max_delay_ms, max_retry_after_ms, max_body_bytes, max_items, max_active_deployments',
    },
  );
}

/** The plugin's lifecycle in a run: the run's `--server`, `-e mender_server` and the inventory's origins. */
export const menderService: ServiceDef<MenderSessions> = {
  name: 'mender',
  start: (s: RunSettings) =>
    new MenderSessions({
      server: s.server,
      extraServer: s.extraVars.mender_server,
      varsFrom: s.varOrigin && ((host, value) => s.varOrigin!(host, 'mender_server', value)),
    }),
};
