/**
 * Many configuration reads (one request per device: the API has no bulk read) in a worker
 * thread. At 100k devices the reads cost ~4 s of CPU (HTTP, JSON, validation); in the main
 * thread, whose heap holds the whole run, each of their allocations also makes its garbage
 * collections dearer (the read took 8–10 s there, 5–6 s from a worker). The configurations come
 * back in chunks; the worker uses this transport's token and tuning, and its request counts and
 * fatal errors (a refused token, an unreachable server) become this transport's.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { log, logSettings, registeredSecrets, type LogFormat } from '../log/index.js';
import type { DeviceConfiguration } from './schemas.js';
import type { OtaStatsSnapshot } from './stats.js';
import type { Transport, TransportOptions } from './transport.js';

/** Below this many devices a worker's start-up (~50 ms) is not worth it. */
export const CONFIG_WORKER_MIN = 2000;

/** What the worker is given. */
export interface ReaderJob {
  url: string;
  /** Where the URL came from: the worker's errors name it as the main thread's do. */
  from?: string;
  token: string;
  options: TransportOptions;
  ids: string[];
  /** The main thread's log level and format, and its secrets (masked in the worker's log too). */
  log: { level: string; format: LogFormat };
  secrets: string[];
}

/** What the worker says: configurations as they come, then its counts and the first error. */
export type ReaderMessage =
  | { kind: 'started' }
  | { kind: 'configs'; ids: string[]; configs: DeviceConfiguration[] }
  | { kind: 'done'; stats: OtaStatsSnapshot; error?: FleetError };

/** The built worker script next to this module, or null when running from the TypeScript sources. */
export function builtConfigWorker(): URL | null {
  const url = new URL('./config-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * `inThread` reads them here instead when the worker cannot start (before any request of its):
 * an environment that refuses worker threads costs speed, not the run.
 */
export async function readConfigsInWorker(
  t: Transport,
  script: URL,
  ids: string[],
  inThread: () => Promise<Result<Map<string, DeviceConfiguration>>>,
): Promise<Result<Map<string, DeviceConfiguration>>> {
  const token = await t.bearer();
  if (!token.ok) return token;
  const job: ReaderJob = {
    url: t.endpoint.url,
    from: t.endpoint.from,
    token: token.value,
    options: { ...t.settings },
    ids,
    log: logSettings(),
    secrets: registeredSecrets(),
  };
  log.debug('reading device configurations in a worker thread', { devices: ids.length });
  return new Promise((resolve) => {
    const out = new Map<string, DeviceConfiguration>();
    let started = false;
    let settled = false;
    const settle = (r: Result<Map<string, DeviceConfiguration>>) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const failed = (why: string) => {
      if (settled) return;
      if (started)
        return settle(
          err(
            fleetError('ota.reader-failed', `reading device configurations: the worker thread ${why}`, {
              hint: 'run again; if it persists, report it with the output of `fleetplay run -vvv`',
            }),
          ),
        );
      settled = true;
      log.warn(`reading device configurations in the main thread: the worker thread ${why}`);
      void inThread().then(resolve);
    };
    let worker: Worker;
    try {
      // A small young generation: the worker's garbage is short-lived, and its memory is the run's.
      // No node flags of this process (-e, --input-type, a loader…): some stop a worker at its start.
      worker = new Worker(script, { workerData: job, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    } catch (e) {
      return failed(`could not start: ${(e as Error).message}`);
    }
    worker.on('message', (m: ReaderMessage) => {
      if (m.kind === 'started') return void (started = true);
      if (m.kind === 'configs') {
        for (let i = 0; i < m.ids.length; i++) out.set(m.ids[i], m.configs[i]);
        return;
      }
      t.stats.merge(m.stats);
      if (m.error) t.absorb(m.error);
      settle(m.error ? err(m.error) : ok(out));
    });
    worker.on('error', (e) => failed(`failed: ${e.message}`));
    worker.on('exit', (code) => failed(`stopped (exit code ${code}) before it finished`));
  });
}
