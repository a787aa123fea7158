/**
 * Programmatic entry: load the playbook and inventory, run, print, write the report, return
 * the recap and exit code. The main job and the monitor call this; the CLI is a thin shell.
 */
import { dirname, resolve } from 'node:path';
import { err, ExitCode, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import { maskDeep, printDiagnostic, useColor } from '../log/index.js';
import '../modules/index.js';
import { registeredServices, type RunMode } from '../modules/registry.js';
import { OtaStats, type OtaStatsSnapshot } from '../ota/stats.js';
import { RunContext, type RunSettings } from '../run/context.js';
import { buildPlan, FailureLog, makesPlan, renderText } from '../plan/index.js';
import { Templar, type Vars } from '../template/index.js';
import { Engine } from './strategy.js';
import { gateAndApply, type BeforeFirstWrite } from './apply.js';
import { checkWritable } from './output-paths.js';
import type { Playbook } from './model.js';
import type { MaxFailed } from '../monitor/classify.js';
import { loadPlaybook } from './loader.js';
import { noMatchingTask, startAtMatcher } from './start-at.js';
import { displayFromEnv, Printer, type Stats } from './output.js';
import { groupResults, type RunReport, type TaskRecord } from './report.js';
import { ResultsFile, writeReport } from './report-file.js';

export interface RunOptions {
  playbook: string;
  inventory: string[];
  /** dry-run (default; = check mode), run, dry-run-debug (= check + diff). */
  mode?: RunMode;
  /** --check / --diff as in ansible-playbook (on top of the mode). */
  check?: boolean;
  diff?: boolean;
  limit?: string;
  extraVars?: Vars;
  tags?: string[];
  skipTags?: string[];
  forks?: number;
  verbosity?: number;
  /** `--server`: the OTA server URL, above MENDER_SERVER_URL and `mender_server` (src/ota/server-url.ts). */
  server?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  /** Where ansible's stderr messages go (module warnings, --start-at-task that matched nothing); process.stderr by default. */
  stderr?: NodeJS.WritableStream;
  /** --start-at-task NAME: skip tasks until one is named NAME (or "role : NAME", or matches it as a glob). */
  startAtTask?: string;
  /** Write the JSON run report here. */
  report?: string;
  /** Keep every host × task result in the returned report (tests, callers); a report file streams them instead. */
  recordResults?: boolean;
  /** Where the results go when the caller writes the report file itself (src/stage). */
  results?: ResultsFile;
  /** Sees every host × task result as it happens (unmasked; nothing is kept for it). */
  onRecord?: (r: TaskRecord) => void;
  branch?: string | null;
  commit?: string | null;
  /** `--max-failed N|P%`: failed hosts the plan gate accepts in `--mode run` (above max_fail_percentage). */
  maxFailed?: MaxFailed;
  templar?: Templar;
  /** Asked once the plan gate let the writes go, before the first is sent; a stop writes nothing (apply.ts). */
  beforeFirstWrite?: BeforeFirstWrite;
}

export interface RunResult {
  exitCode: number;
  recap: Record<string, Stats>;
  report: RunReport;
  errors: FleetError[];
  /** Requests the run's modules made to OTA servers (its services' sessions; none when it stopped before running). */
  api: OtaStatsSnapshot;
  /** The OTA error that stopped the run's requests (unreachable server, refused token, bad URL), if any. */
  otaError?: FleetError;
}

export const DEFAULT_FORKS = 100;

export function modeFrom(value: string | undefined): RunMode | undefined {
  if (value === undefined || value === '') return 'dry-run';
  return value === 'run' || value === 'dry-run' || value === 'dry-run-debug' ? value : undefined;
}

export function emptyReport(o: RunOptions, mode: RunMode, checkMode: boolean, diff: boolean, started: Date): RunReport {
  return {
    schema: 'fleetplay.run-report/3',
    playbook: resolve(o.playbook),
    mode,
    checkMode,
    diff,
    branch: o.branch ?? null,
    commit: o.commit ?? null,
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 0,
    timings: { playbookMs: 0, inventoryMs: 0, runMs: 0 },
    exitCode: ExitCode.usage,
    recap: {},
    results: [],
    plan: [],
    api: { requests: 0, byEndpoint: {} },
    errors: [],
  };
}

/** --limit as host names; an error when the pattern is bad or matches nothing (ansible stops too). */
export function limitHosts(limit: string | undefined, inv: Inventory): Result<string[] | undefined, FleetError> {
  if (!limit) return ok(undefined);
  const r = inv.match(limit);
  if (!r.ok) return r;
  if (r.value.length) return ok(r.value);
  return err(
    fleetError('run.limit', `--limit ${limit} matches no host`, {
      hint: 'check the pattern against the inventory (fleetplay inventory list)',
    }),
  );
}

export async function runPlaybook(o: RunOptions): Promise<RunResult> {
  const started = new Date();
  const mode = o.mode ?? 'dry-run';
  const checkMode = mode !== 'run' || o.check === true;
  const diff = mode === 'dry-run-debug' || o.diff === true;
  const stdout = o.stdout ?? process.stdout;
  const report = emptyReport(o, mode, checkMode, diff, started);
  const fail = (errors: FleetError[], writable = true): RunResult => {
    for (const e of errors) printDiagnostic(stdout, e, { prefix: 'ERROR! ', env: o.env });
    report.errors = errors.map(({ code, message, file, line, hint }) => ({ code, message, file, line, hint }));
    if (o.report && writable) writeReport(o.report, report);
    return { exitCode: ExitCode.usage, recap: {}, report, errors, api: new OtaStats().snapshot() };
  };
  let mark = Date.now();
  const lap = () => -mark + (mark = Date.now());
  const pb = loadPlaybook(o.playbook);
  report.timings.playbookMs = lap();
  if (!pb.ok) return fail(pb.error);
  const inv = loadInventory(o.inventory, { playbookDir: dirname(resolve(o.playbook)) });
  report.timings.inventoryMs = lap();
  if (!inv.ok) return fail(inv.error);
  // Inventory warnings (a stray host_vars file…) as ansible prints its own: `[WARNING]: ` on stderr.
  for (const w of inv.value.warnings)
    printDiagnostic(o.stderr ?? process.stderr, w, { prefix: '[WARNING]: ', severity: 'warning', env: o.env });
  const limit = limitHosts(o.limit, inv.value);
  if (!limit.ok) return fail([limit.error]);
  // Every file the run writes is known writable before the first request (nothing half done).
  const unwritable = o.results ? undefined : checkWritable(o.report, '--report');
  if (unwritable) return fail([unwritable], false);
  const sink = o.results ?? (o.report ? new ResultsFile(o.report) : undefined);
  const kept: TaskRecord[] = [];
  const failures = new FailureLog();
  const printer = new Printer({
    stream: stdout,
    color: useColor(stdout),
    errStream: o.stderr ?? process.stderr,
    errColor: useColor(o.stderr ?? process.stderr),
    verbosity: o.verbosity ?? 0,
    ...displayFromEnv(o.env ?? process.env),
  });
  // The run's own services (OTA sessions, counters, the fatal error): no module globals.
  const run = new RunContext(runSettings(o, inv.value), registeredServices(), o.templar?.unsafe);
  const engine = new Engine({
    playbook: pb.value,
    inventory: inv.value,
    // lookup('template'/'file') finds files in the roles' folders (templates/, files/) and next to the playbook.
    templar:
      o.templar ??
      new Templar({
        searchPaths: [...new Set(pb.value.plays.flatMap((p) => p.roles.map((r) => r.path)))].concat(pb.value.dir),
        env: o.env,
        unsafe: run.unsafe,
      }),
    printer,
    mode,
    checkMode,
    diff,
    forks: o.forks ?? DEFAULT_FORKS,
    extraVars: { ...(o.extraVars ?? {}), ansible_verbosity: o.verbosity ?? 0 },
    tags: { tags: o.tags ?? [], skip: o.skipTags ?? [] },
    limit: limit.value,
    env: o.env ?? process.env,
    verbosity: o.verbosity ?? 0,
    onRecord: recorder(o, sink, kept),
    onFailure: failures.add,
    startAt: o.startAtTask !== undefined ? startAtMatcher(o.startAtTask) : undefined,
    run,
  });
  try {
    await engine.run();
    report.apply = await gateAndApply(
      {
        writes: engine.writes,
        tasks: engine.deferredTasks(),
        failures: engine.failures,
        errors: engine.errors,
        plan: engine.plan,
        stats: recapStats(engine.states),
      },
      {
        maxFailed: o.maxFailed,
        maxFailPercentage: maxFailPercentage(pb.value),
        printer,
        env: o.env,
        beforeFirstWrite: o.beforeFirstWrite,
      },
    );
  } catch (e) {
    if (sink !== o.results) sink?.discard();
    run.close();
    throw e;
  }
  // Every request is sent by now: the run's sessions end with it (sockets closed).
  const api = run.stats();
  const otaError = run.fatal();
  run.close();
  report.timings.runMs = lap();
  const recap: Record<string, Stats> = Object.fromEntries(recapStats(engine.states));
  printer.recap(new Map(Object.entries(recap)));
  const devices = deviceIds(Object.keys(recap), inv.value);
  const failed = (h: string) => (recap[h]?.failed ?? 0) > 0 || (recap[h]?.unreachable ?? 0) > 0;
  // A playbook without OTA modules has no plan: no summary (ansible's output stays) and none in the report.
  const plans = engine.plan.length > 0 || failures.planned || makesPlan(pb.value);
  const plan = plans ? buildPlan({ entries: engine.plan, devices, failures: failures.failures(failed) }) : undefined;
  // The plan summary an operator reads without -v.
  if (plan) stdout.write(`${renderText(plan, { color: useColor(stdout) })}\n`);
  if (engine.startAtPending) (o.stderr ?? process.stderr).write(noMatchingTask(o.startAtTask!));
  for (const e of engine.errors) printDiagnostic(stdout, e, { prefix: 'ERROR! ', env: o.env });
  const anyFailed = Object.values(recap).some((s) => s.failed > 0);
  const unreachable = Object.values(recap).some((s) => s.unreachable > 0);
  // A failed host outranks an unreachable one (ansible says 4 first): the repository's failure is
  // the one to fix, a device the OTA server does not know does not hide it.
  const exitCode =
    report.apply?.stopped?.exitCode ??
    (engine.errors.length && !anyFailed
      ? ExitCode.usage
      : anyFailed
        ? ExitCode.hostFailed
        : unreachable
          ? ExitCode.otaUnreachable
          : ExitCode.ok);
  const finished = new Date();
  Object.assign(report, {
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    exitCode,
    recap,
    devices,
    results: groupResults(kept),
    plan: plan?.devices ?? [],
    api: { requests: api.requests, byEndpoint: api.byEndpoint },
    errors: engine.errors.map(({ code, message, file, line, hint }) => ({ code, message, file, line, hint })),
  });
  if (o.report) writeReport(o.report, report, sink);
  return { exitCode, recap, report, errors: engine.errors, api, ...(otaError ? { otaError } : {}) };
}

/** The hosts of the recap: those with at least one result, as in ansible. */
function recapStats(states: Engine['states']): Map<string, Stats> {
  return new Map([...states].filter(([, s]) => s.processed).map(([h, s]) => [h, s.stats]));
}

/** The strictest max_fail_percentage of the playbook's plays (a templated one is left to the play). */
function maxFailPercentage(pb: Playbook): number | undefined {
  const pcts = pb.plays.map((p) => Number(p.kw.max_fail_percentage ?? NaN)).filter((n) => Number.isFinite(n));
  return pcts.length ? Math.min(...pcts) : undefined;
}

/** The run's settings for its services: flags, not variables a play could see or shadow. */
function runSettings(o: RunOptions, inv: Inventory): RunSettings {
  return {
    server: o.server,
    extraVars: o.extraVars ?? {},
    env: o.env ?? process.env,
    // A file is named only when the host's value is the inventory's (play vars may override it).
    varOrigin: (host, name, value) => {
      const origin = inv.varOrigin(host, name);
      return origin && origin.value === value ? origin.source : undefined;
    },
  };
}

/** Host → device id for the report (every host of the recap, so readers need no rule of their own). */
function deviceIds(hosts: string[], inv: Inventory): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of hosts) out[h] = inv.deviceId(h);
  return out;
}

/** Results go to the report file as they happen, and into memory only when the caller asked. */
function recorder(
  o: RunOptions,
  sink: ResultsFile | undefined,
  kept: TaskRecord[],
): ((r: TaskRecord) => void) | undefined {
  if (!sink && !o.recordResults && !o.onRecord) return undefined;
  return (r) => {
    sink?.add(r);
    if (o.recordResults) kept.push(maskDeep(r));
    o.onRecord?.(r);
  };
}
