/**
 * `fleetplay run` for a fleet repository: the stage (branch, commit) from git, passed to the
 * playbook as fleetplay_branch / fleetplay_commit and into the report; OTA request counts per
 * endpoint and per device; the `stage` section; the job summary in GitHub Actions.
 */
import { ExitCode, formatError, ok, type FleetError } from '../errors/index.js';
import { rolloutPolicyOf } from '../rollout/policy.js';
import { ResultsFile, writeReport } from '../engine/report-file.js';
import { checkWritable } from '../engine/output-paths.js';
import { emptyReport, runPlaybook, type RunOptions, type RunResult } from '../engine/run.js';
import { currentStage } from '../git/index.js';
import { appendStepSummary } from '../github/index.js';
import { log, printDiagnostic, registerSecretsFromEnv } from '../log/index.js';
import { exitCodeFor, OtaStats } from '../ota/index.js';
import { apiCounts } from './api.js';
import { fleetPlaybook } from './playbook.js';
import { loadStageList, notAStage, StageList } from './stages.js';
import { stageReport, StageReport, summaryMarkdown } from './summary.js';
import { freshness, stopWhenStale } from './fresh.js';
import { limitedWaves } from './limited.js';
import type { WriteStop } from '../engine/apply.js';

export interface StageRunOptions extends Omit<RunOptions, 'branch' | 'commit'> {
  /** `--branch`: the stage branch when git cannot tell (or to override it). */
  branch?: string;
  /** The fleet repository checkout (default: the current directory). */
  cwd?: string;
  /**
   * `fleetplay run`: the run must still be its branch's head on the remote before its first write
   * (fresh.ts); a dry run only warns. Off for plan previews, whose checkout is a merge commit.
   */
  checkFresh?: boolean;
}

export interface StageRunResult extends RunResult {
  stage: StageReport;
  /** Why nothing ran although nothing failed: the branch is not a stage (fleetplay.yml). */
  skipped?: string;
}

type Resolved = { branch: string | null; commit: string | null };

/** Branch and commit from git; outside a repository only `--branch` (or nothing) is known. */
async function resolveStage(
  o: StageRunOptions,
): Promise<{ ok: true; value: Resolved } | { ok: false; error: FleetError }> {
  const s = await currentStage(o.cwd ?? process.cwd(), { branch: o.branch, env: o.env ?? process.env });
  if (s.ok) return { ok: true, value: { branch: s.value.branch, commit: s.value.commit } };
  if (s.error.code === 'git.not-a-repo' || s.error.code === 'git.no-commit') {
    log.warn(`${formatError(s.error)}: running without a commit`);
    return { ok: true, value: { branch: o.branch ?? null, commit: null } };
  }
  return s;
}

export async function runStage(o: StageRunOptions): Promise<StageRunResult> {
  const stdout = o.stdout ?? process.stdout;
  const cwd = o.cwd ?? process.cwd();
  // Configuration secrets (GHRUNNER_TOKEN, INFLUXDB_TOKEN…) reach the output only masked.
  registerSecretsFromEnv(o.env ?? process.env);
  const unwritable = checkWritable(o.report, '--report');
  if (unwritable) return usageFailure({ ...o, report: undefined }, [unwritable], stdout);
  // The stage list first: a bad fleetplay.yml stops the run before git or the OTA server is asked.
  const stages = loadStageList(cwd);
  if (!stages.ok) return usageFailure(o, stages.error, stdout);
  const st = await resolveStage(o);
  if (!st.ok) return usageFailure(o, [st.error], stdout);
  const { branch, commit } = st.value;
  if (branch !== null && !stages.value.has(branch)) return outsideStages(o, branch, stages.value, stdout);
  // A bad rollout policy stops the run before any request, as a bad stage list does.
  const rollout = branch === null ? ok(undefined) : rolloutPolicyOf(cwd, branch);
  if (!rollout.ok) return usageFailure(o, rollout.error, stdout);
  const pb = fleetPlaybook(o.playbook, cwd);
  if (pb.note) (o.stderr ?? process.stderr).write(pb.note);
  // Results stream to the report file while the playbook runs; the report is finished below.
  const sink = o.report ? new ResultsFile(o.report) : undefined;
  const stageVars = {
    ...(branch ? { fleetplay_branch: branch } : {}),
    ...(commit ? { fleetplay_commit: commit } : {}),
    ...(rollout.value ? { fleetplay_rollout: rollout.value } : {}),
  };
  // In waves, --limit must not cut the waves out of the limited hosts: the whole stage places them.
  const waves =
    rollout.value && o.limit
      ? await limitedWaves({
          ...o,
          limit: o.limit,
          playbook: pb.path,
          branch,
          commit,
          extraVars: { ...o.extraVars, ...stageVars },
        })
      : undefined;
  if (waves) Object.assign(stageVars, { fleetplay_waves: waves });
  let stop: WriteStop | undefined;
  const guarded = o.checkFresh && branch && commit ? { branch, commit } : undefined;
  const r = await runPlaybook({
    ...o,
    playbook: pb.path,
    branch,
    commit,
    // A caller's own check first (tests move the branch here), then whether the branch moved on.
    beforeFirstWrite: async () =>
      (stop =
        (await o.beforeFirstWrite?.()) ??
        (guarded ? await stopWhenStale(cwd, guarded.branch, guarded.commit) : undefined)),
    // Stage variables rank as extra vars: a play cannot shadow them by accident.
    extraVars: { ...(o.extraVars ?? {}), ...stageVars },
    report: undefined,
    results: sink,
  }).catch((e: unknown) => {
    sink?.discard();
    throw e;
  });
  // The run's own request counts, from its result (its sessions are closed by now).
  r.report.api = apiCounts(r.api, Object.keys(r.recap).length);
  if (r.otaError) withFatal(r, r.otaError, stdout, o.env);
  if (stop) withFatal(r, stop.error, stdout, o.env, stop.exitCode);
  if (guarded && r.report.mode !== 'run') await warnIfStale(cwd, guarded, o);
  const stage = stageReport(r.report);
  r.report.stage = stage;
  if (o.report) writeReport(o.report, r.report, sink);
  await writeSummary(r, stage, o.env ?? process.env);
  return { ...r, stage };
}

/**
 * An OTA error that ended the run (refused token, unreachable server) decides the exit code, and
 * closes the output: which server (and from where) and why, once, below the recap.
 */
function withFatal(
  r: RunResult,
  e: FleetError,
  stdout: NodeJS.WritableStream,
  env?: NodeJS.ProcessEnv,
  exitCode = exitCodeFor(e),
): void {
  printDiagnostic(stdout, e, { prefix: 'ERROR! ', env });
  r.exitCode = exitCode;
  r.report.exitCode = r.exitCode;
  r.report.errors.push({ code: e.code, message: e.message, file: e.file, line: e.line, hint: e.hint });
}

/** A dry run writes nothing, so a moved branch is only worth a warning (its exit code stays). */
async function warnIfStale(cwd: string, at: { branch: string; commit: string }, o: StageRunOptions): Promise<void> {
  const f = await freshness(cwd, at.branch, at.commit);
  if (f.state !== 'moved' && f.state !== 'unknown') return;
  printDiagnostic(o.stderr ?? process.stderr, f.error, { prefix: '[WARNING]: ', severity: 'warning', env: o.env });
}

async function writeSummary(r: RunResult, stage: StageReport, env: NodeJS.ProcessEnv): Promise<void> {
  const s = await appendStepSummary(summaryMarkdown(r.report, stage), env);
  if (!s.ok) log.warn(formatError(s.error));
}

/**
 * A branch that is not a stage: `--branch` naming one is a usage error (a typo must not look like
 * success); a checkout of another branch (a push to a feature branch) has nothing to do.
 */
function outsideStages(
  o: StageRunOptions,
  branch: string,
  stages: StageList,
  stdout: NodeJS.WritableStream,
): StageRunResult {
  const e = notAStage(branch, stages);
  if (o.branch !== undefined) return usageFailure(o, [e], stdout);
  const why = `${e.message}: nothing to do`;
  stdout.write(`fleetplay: ${why}\n`);
  return { ...earlyEnd({ ...o, branch }, ExitCode.ok, []), skipped: why };
}

function usageFailure(o: StageRunOptions, errors: FleetError[], stdout: NodeJS.WritableStream): StageRunResult {
  for (const e of errors) printDiagnostic(stdout, e, { prefix: 'ERROR! ', env: o.env });
  return earlyEnd(o, ExitCode.usage, errors);
}

/** A run that ended before the playbook started: its report, written when asked for. */
function earlyEnd(o: StageRunOptions, exitCode: number, errors: FleetError[]): StageRunResult {
  const mode = o.mode ?? 'dry-run';
  const report = emptyReport({ ...o, branch: o.branch ?? null, commit: null }, mode, mode !== 'run', false, new Date());
  report.exitCode = exitCode;
  report.errors = errors.map(({ code, message, file, line, hint }) => ({ code, message, file, line, hint }));
  const stage = stageReport(report);
  report.stage = stage;
  if (o.report) writeReport(o.report, report);
  return { exitCode, recap: {}, report, errors, stage, api: new OtaStats().snapshot() };
}
