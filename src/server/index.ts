/**
 * The embedded Mender-compatible server: `startServer()` for tests and the `fleetplay server`
 * command. State is replayed from the journal in `dataDir`, or seeded from a fleet spec.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { err, fleetError, FleetFailure, ok, type FleetError, type Result } from '../errors/index.js';
import { log, registerSecret } from '../log/index.js';
import { App, type Clock } from './app.js';
import { credentials } from './auth.js';
import { DEFAULT_BODY_LIMITS, type BodyLimits } from './body.js';
import type { FaultSpec } from './faults.js';
import { Journal, JOURNAL_FILE, readJournal, validLength } from './journal.js';
import { adminRoutes } from './routes/admin.js';
import { deploymentRoutes } from './routes/deployments.js';
import { deviceconfigRoutes } from './routes/deviceconfig.js';
import { devauthRoutes } from './routes/devauth.js';
import { inventoryRoutes } from './routes/inventory.js';
import { useradmRoutes } from './routes/useradm.js';
import { loadFleetSpec, parseFleetSpec, type FleetSpec, type ParsedFleetSpec } from './spec.js';
import { FleetState } from './state.js';

export {
  FleetSpecSchema,
  type FleetSpec,
  type ParsedFleetSpec,
  deviceIdFor,
  generatedDeviceId,
  generatedDeviceType,
  loadFleetSpec,
} from './spec.js';
export { FaultSpecSchema, type FaultSpec } from './faults.js';
export { boardFleet, type BoardFleet, type BoardFleetOptions, type DeploymentBody } from './board-fleet.js';
export type { LoggedRequest } from './request-log.js';

export interface StartOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** No disk at all (tests, benchmarks). */
  memory?: boolean;
  /** Where the journal lives; required unless `memory`. */
  dataDir?: string;
  /** Fleet spec file path or object; used only when the data dir holds no state yet. */
  spec?: string | FleetSpec;
  /** Inventory sources to seed devices from (see docs/server.md). */
  inventory?: string[];
  /** Generate this many devices (overrides spec.generate.count). */
  devices?: number;
  clock?: 'real' | 'manual';
  /** Simulated seconds per real second with the real clock. */
  speed?: number;
  /** Accepted personal access tokens. */
  tokens?: string[];
  /** Enables the admin API (`/api/admin/v1`) for this bearer token; without it those routes answer 404. */
  adminToken?: string;
  /** Request body limits (default: 16 MiB each, 64 MiB in flight). */
  bodyLimits?: Partial<BodyLimits>;
  users?: { email: string; password: string }[];
  faults?: FaultSpec;
  /** Active software deployments allowed at once, as hosted Mender caps them (default 800; 0: no cap). */
  maxActiveDeployments?: number;
  /** Rewrite the journal as one snapshot at start when it holds more events than this (default 50,000). */
  compactAfter?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const TICK_MS = 200;

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const loaded = await openState(opts);
  if (!loaded.ok) throw new FleetFailure(loaded.error[0]);
  const { state, journal } = loaded.value;
  const clock = makeClock(state, opts);
  for (const t of [...(opts.tokens ?? []), ...(opts.adminToken === undefined ? [] : [opts.adminToken])])
    registerSecret(t);
  for (const u of opts.users ?? []) registerSecret(u.password);
  const creds = credentials({ ...opts, jwtSecret: () => state.jwtSecret });
  const app = new App(state, journal, clock, creds, { ...DEFAULT_BODY_LIMITS, ...opts.bodyLimits });
  addRoutes(app, opts.adminToken !== undefined);
  if (opts.maxActiveDeployments !== undefined) app.maxActiveDeployments = opts.maxActiveDeployments;
  if (opts.faults) app.faults.set(opts.faults);

  // A client that hangs up mid-request must not take the server down with an unhandled rejection.
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    app.handle(req, res).catch(() => res.destroy());
  });
  // `Expect: 100-continue` (curl, for large uploads): the 100 goes out only once the headers pass.
  server.on('checkContinue', (req, res) => {
    app.handle(req, res, true).catch(() => res.destroy());
  });
  await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  const timer = clock.kind === 'real' ? setInterval(() => tick(app), TICK_MS) : undefined;
  timer?.unref();
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await journal?.close();
    },
  };
}

function addRoutes(app: App, admin: boolean): void {
  for (const routes of [useradmRoutes, inventoryRoutes, deploymentRoutes, deviceconfigRoutes, devauthRoutes])
    routes(app);
  // Not registered at all when off: the admin API then answers 404 like any unknown path.
  if (admin) adminRoutes(app);
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new FleetFailure(
      fleetError('server.listen', `cannot listen on ${host}:${port}: ${code}`, {
        hint:
          code === 'EADDRINUSE'
            ? 'another process uses that port: pass another --port, or --port 0 for a free one'
            : 'pass an address of this machine with --host (default 127.0.0.1)',
      }),
    );
  }
}

/** The routes the server answers, as `METHOD /template/:param` (for coverage checks in tests). */
export function listRoutes(): { method: string; template: string; auth: string }[] {
  const app = new App(
    new FleetState(),
    undefined,
    { kind: 'manual', now: () => 0 },
    credentials({ jwtSecret: () => '' }),
  );
  addRoutes(app, true);
  return app.router.list();
}

function tick(app: App): void {
  if (app.advanceSimulation() > 0) app.journal?.kick();
}

function makeClock(state: FleetState, opts: StartOptions): Clock {
  if (opts.clock === 'manual') return { kind: 'manual', now: () => state.now };
  const speed = opts.speed ?? 1;
  const anchorSim = state.now;
  const anchorReal = Date.now();
  return {
    kind: 'real',
    now: () => {
      state.now = Math.max(state.now, anchorSim + (Date.now() - anchorReal) * speed);
      return state.now;
    },
  };
}

/** Replays the journal of `dataDir`, or seeds a new state (and journal) from the options. */
async function openState(opts: StartOptions): Promise<Result<{ state: FleetState; journal?: Journal }, FleetError[]>> {
  const state = new FleetState();
  if (!opts.memory && !opts.dataDir) {
    return err([
      fleetError('server.no-data-dir', 'the server needs a place for its state', {
        hint: 'pass --data-dir DIR (created if missing), or --memory to keep nothing',
      }),
    ]);
  }
  const file = opts.dataDir ? join(opts.dataDir, JOURNAL_FILE) : undefined;
  // Any journal, even an empty one, is the user's fleet: readJournal refuses a damaged one, never seeds over it.
  if (file && existsSync(file)) {
    const replay = readJournal(file);
    if (!replay.ok) return err([replay.error]);
    for (const e of replay.value.events) state.apply(e);
    if (replay.value.droppedTail)
      log.warn('server state: dropped a torn last journal line (a write that was never acknowledged)', { file });
    log.info(`server state: replayed ${replay.value.events.length} events`, { file });
    if (replay.value.events.length > (opts.compactAfter ?? 50_000)) {
      state.compactJournal(file);
      log.info('server state: journal compacted to one snapshot', { file });
      return ok({ state, journal: await Journal.open(opts.dataDir!) });
    }
    const journal = await Journal.open(opts.dataDir!, replay.value.droppedTail ? validLength(file) : undefined);
    return ok({ state, journal });
  }
  const spec = await resolveSpec(opts);
  if (!spec.ok) return spec;
  const start = spec.value.start_time ? Date.parse(spec.value.start_time) : Math.floor(Date.now() / 1000) * 1000;
  const init = { t: 'init' as const, jwtSecret: randomBytes(32).toString('hex'), start, spec: spec.value };
  state.apply(init);
  if (opts.memory) return ok({ state });
  return ok({ state, journal: await Journal.create(opts.dataDir!, init) });
}

async function resolveSpec(opts: StartOptions): Promise<Result<ParsedFleetSpec, FleetError[]>> {
  let spec: Result<ParsedFleetSpec, FleetError[]> =
    typeof opts.spec === 'string' ? loadFleetSpec(opts.spec) : parseFleetSpec(opts.spec ?? {});
  if (!spec.ok) return spec;
  if (opts.devices !== undefined) {
    spec = parseFleetSpec({ ...spec.value, generate: { ...(spec.value.generate ?? {}), count: opts.devices } });
    if (!spec.ok) return spec;
  }
  if (opts.inventory?.length) {
    const { seedFromInventory } = await import('./inventory-seed.js');
    return seedFromInventory(spec.value, opts.inventory);
  }
  return spec;
}
