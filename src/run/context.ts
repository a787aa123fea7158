/**
 * The state of one run, made by runPlaybook and handed down to every module call: the plugins'
 * services (OTA sessions, their request counters, the first fatal error), the texts of its data
 * that are never templated (the run's Templar takes them). Nothing of a run lives
 * in a module global, so two runs in one process (the monitor beside a job, tests) keep their
 * requests, statistics and errors apart.
 */
import type { FleetError } from '../errors/index.js';
import { OtaStats, type OtaStatsSnapshot } from '../ota/stats.js';
import { UnsafeTexts } from '../template/unsafe.js';

/** What the program says about a run besides the playbook: each service takes what concerns it. */
export interface RunSettings {
  /** `--server`. */
  server?: string;
  extraVars: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** The inventory file that sets `name` to `value` for `host` (play vars may override it). */
  varOrigin?: (host: string, name: string, value: unknown) => string | undefined;
}

/** A plugin's state for one run. */
export interface RunService {
  /** Requests the run made through it. */
  stats?(): OtaStatsSnapshot;
  /** The error that ended the run's requests, if any. */
  fatal?(): FleetError | undefined;
  close(): void;
}

/** A plugin's lifecycle, registered with the module registry (src/modules/registry.ts). */
export interface ServiceDef<S extends RunService = RunService> {
  name: string;
  start(settings: RunSettings): S;
}

export class RunContext {
  private readonly started = new Map<string, RunService>();

  constructor(
    readonly settings: RunSettings,
    services: readonly ServiceDef[] = [],
    readonly unsafe = new UnsafeTexts(),
  ) {
    for (const d of services) this.started.set(d.name, d.start(settings));
  }

  /** The run's instance of a service, started now if it was registered after the run began. */
  service<S extends RunService>(def: ServiceDef<S>): S {
    let s = this.started.get(def.name);
    if (!s) this.started.set(def.name, (s = def.start(this.settings)));
    return s as S;
  }

  /** Requests of the run, summed over its services. */
  stats(): OtaStatsSnapshot {
    const total = new OtaStats();
    for (const s of this.started.values()) if (s.stats) total.merge(s.stats());
    return total.snapshot();
  }

  fatal(): FleetError | undefined {
    for (const s of this.started.values()) {
      const e = s.fatal?.();
      if (e) return e;
    }
    return undefined;
  }

  /** Ends the run's services (sockets closed). */
  close(): void {
    for (const s of this.started.values()) s.close();
  }
}
