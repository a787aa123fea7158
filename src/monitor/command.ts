/**
 * `fleetplay monitor`: where the branch and commit come from (git, --branch, the run report),
 * which desired state (engine dry-run or --report), the OTA client, and the outputs (table or
 * JSON, progress, job summary, commit status, HTML). `runMonitor` is the testable entry.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, type FleetError, type Result } from '../errors/index.js';
import { DEFAULT_INVENTORY, DEFAULT_PLAYBOOK, SERVER_OPTION_HELP } from '../engine/cli.js';
import { currentStage } from '../git/index.js';
import {
  appendStepSummary,
  describeCounts,
  fromActionsEnv,
  startUpdateRun,
  statusPublisher,
  UPDATE_WORKFLOW,
} from '../github/index.js';
import { loadInventory } from '../inventory/index.js';
import { diagnostic, maskSecrets, printDiagnostic, registerSecret, useColor } from '../log/index.js';
import { exitCodeFor, MenderClient } from '../ota/index.js';
import { countWords } from './classify.js';
import { desiredFromEngine, desiredFromReport } from './desired.js';
import { renderHtml } from './html.js';
import { menderUiBase } from './mender-ui.js';
import type { Desired, Snapshot } from './model.js';
import { parseDuration, parseMaxFailed } from './options.js';
import { markdown, progressBar, progressLine, table } from './render.js';
import { follow, type FollowOptions } from './run.js';
import { fleetPlaybook, loadStageList, notAStage, type StageList } from '../stage/index.js';
import { rolloutPolicyOf, type RolloutPolicy } from '../rollout/policy.js';
import { waveWatch, type OnOpened } from './waves.js';

export interface MonitorArgs {
  inventory: string[];
  playbook: string;
  repo: string;
  branch?: string;
  report?: string;
  server?: string;
  wait: boolean;
  timeout: string;
  interval: string;
  offlineAfter: string;
  maxFailed: string;
  json: boolean;
  html?: string;
  /** The Mender UI the HTML report links to (`none`: no links); default: guessed from the server URL. */
  menderUi?: string;
  /** In waves: start the update workflow when a wave's soak ends (`--no-advance`: false); default true. */
  advance?: boolean;
}

export interface MonitorIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Waits between looks (default setTimeout); tests advance the OTA server's manual clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Time in ms for --timeout (default Date.now); tests pass the clock their `sleep` moves. */
  now?: () => number;
  /** Replaces fetch for the GitHub API (tests, proxies). */
  fetch?: typeof fetch;
}

export const MONITOR_DEFAULTS = { timeout: '30m', interval: '30s', offlineAfter: '1h', maxFailed: '0' } as const;

function fail(io: MonitorIo, e: FleetError, code: number = ExitCode.usage): number {
  printDiagnostic(io.stderr, e, { prefix: 'ERROR! ', env: io.env });
  return code;
}

function followOptions(a: MonitorArgs, branch: string, commit: string | null): Result<FollowOptions> {
  const timeout = parseDuration('--timeout', a.timeout);
  if (!timeout.ok) return timeout;
  const interval = parseDuration('--interval', a.interval);
  if (!interval.ok) return interval;
  const offline = parseDuration('--offline-after', a.offlineAfter);
  if (!offline.ok) return offline;
  const maxFailed = parseMaxFailed(a.maxFailed);
  if (!maxFailed.ok) return maxFailed;
  return {
    ok: true,
    value: {
      branch,
      commit,
      wait: a.wait,
      timeoutMs: timeout.value,
      intervalMs: Math.max(1, interval.value),
      offlineAfterMs: offline.value,
      maxFailed: maxFailed.value,
    },
  };
}

function failAll(io: MonitorIo, errors: FleetError[]): number {
  for (const e of errors) fail(io, e);
  return ExitCode.usage;
}

/** `--branch` naming no stage is a usage error; a checkout of another branch has nothing to monitor. */
function outsideStages(io: MonitorIo, branch: string, given: boolean, stages: StageList): number {
  const e = notAStage(branch, stages);
  if (given) return fail(io, e);
  io.stderr.write(`fleetplay: ${e.message}: nothing to monitor\n`);
  return ExitCode.ok;
}

/** Branch and deployed commit: git's checkout (the commit that was deployed), else the run report's. */
async function stage(
  a: MonitorArgs,
  env: NodeJS.ProcessEnv,
  fromReport?: Desired,
): Promise<Result<{ branch: string; commit: string | null }>> {
  const git = await currentStage(a.repo, { branch: a.branch, env });
  if (git.ok) return { ok: true, value: { branch: git.value.branch, commit: git.value.commit } };
  const branch = a.branch ?? fromReport?.branch;
  if (fromReport && branch) return { ok: true, value: { branch, commit: fromReport.commit } };
  return git;
}

/** `mender_server` of the inventory's first host and the file that sets it (the lowest rank: server-url.ts). */
function inventoryServer(a: MonitorArgs): { value: unknown; from?: string } | undefined {
  const inv = loadInventory(a.inventory, { playbookDir: dirname(resolve(a.playbook)) });
  if (!inv.ok) return undefined;
  const first = inv.value.hosts[0];
  const origin = first === undefined ? undefined : inv.value.varOrigin(first, 'mender_server');
  if (!origin || typeof origin.value !== 'string' || origin.value.includes('{{')) return undefined;
  return { value: origin.value, from: origin.source };
}

/** A literal variable of the inventory's first host (fleet-wide settings live in group_vars/all.yml). */
function inventoryVar(a: MonitorArgs, name: string): string | undefined {
  const inv = loadInventory(a.inventory, { playbookDir: dirname(resolve(a.playbook)) });
  if (!inv.ok) return undefined;
  const first = inv.value.hosts[0];
  const v = first === undefined ? undefined : inv.value.hostVars(first)[name];
  return typeof v === 'string' && !v.includes('{{') ? v : undefined;
}

export async function runMonitor(args: MonitorArgs, io: MonitorIo): Promise<number> {
  // A bad fleetplay.yml stops the monitor before anything is read or asked.
  const stages = loadStageList(args.repo);
  if (!stages.ok) return failAll(io, stages.error);
  const fromReport = args.report ? desiredFromReport(args.report) : undefined;
  if (fromReport && !fromReport.ok) return fail(io, fromReport.error);
  const where = await stage(args, io.env, fromReport?.value);
  if (!where.ok) return fail(io, where.error);
  const { branch, commit } = where.value;
  if (!stages.value.has(branch)) return outsideStages(io, branch, args.branch !== undefined, stages.value);
  // The stage's waves: the dry-run plans them as the update run does (a bad policy stops here).
  const rollout = rolloutPolicyOf(args.repo, branch);
  if (!rollout.ok) return failAll(io, rollout.error);
  // Without playbooks/ in the repository, the package's default playbook gives the desired state.
  const pb = fleetPlaybook(args.playbook, args.repo);
  if (pb.note && !fromReport) io.stderr.write(pb.note);
  const a = pb.note ? { ...args, playbook: pb.path } : args;
  const opts = followOptions(a, branch, commit);
  if (!opts.ok) return fail(io, opts.error);
  // A bad --mender-ui is a usage error now, not after --wait has followed the stage.
  const ui = a.menderUi === undefined ? undefined : menderUiBase(undefined, a.menderUi);
  if (ui && !ui.ok) return fail(io, ui.error);
  const client = MenderClient.from({ server: a.server, env: io.env, lookupServer: () => inventoryServer(a) });
  if (!client.ok) return fail(io, client.error);
  try {
    const desired = fromReport ?? (await engineDesired(a, branch, commit, io.env, rollout.value));
    if (!desired.ok) return fail(io, desired.error, exitCodeFor(desired.error));
    return await watch(a, io, client.value, desired.value, opts.value, rollout.value);
  } finally {
    client.value.close();
  }
}

async function engineDesired(
  a: MonitorArgs,
  branch: string,
  commit: string | null,
  env: NodeJS.ProcessEnv,
  rollout: RolloutPolicy | undefined,
): Promise<Result<Desired>> {
  return desiredFromEngine({
    playbook: a.playbook,
    inventory: a.inventory,
    branch,
    commit,
    server: a.server,
    env,
    rollout,
  });
}

async function watch(
  a: MonitorArgs,
  io: MonitorIo,
  client: MenderClient,
  desired: Desired,
  o: FollowOptions,
  rollout: RolloutPolicy | undefined,
): Promise<number> {
  const progress = progressWriter(io.stderr, io.env, o.wait);
  const say = (line: string) => progress.say(line);
  const publish = publisher(io, o.branch, o.commit, say);
  const advance = advancer(io, o.branch, a.advance !== false, say);
  const last = await follow(client, desired, o, {
    sleep: io.sleep,
    now: io.now,
    waves: rollout && desired.waves ? waveWatch(client, rollout, desired, advance) : undefined,
    onSnapshot: async (s, elapsed) => {
      await publish(s);
      progress.update(s, elapsed);
    },
  });
  progress.end();
  if (!last.ok) return fail(io, last.error, exitCodeFor(last.error));
  const s = last.value;
  io.stdout.write(maskSecrets(a.json ? JSON.stringify(s, null, 2) + '\n' : table(s)));
  const summary = await appendStepSummary(markdown(s), io.env);
  if (!summary.ok) printDiagnostic(io.stderr, summary.error, { prefix: 'warning: ', severity: 'warning', env: io.env });
  if (a.html) {
    const ui = menderUiBase(client.transport.endpoint.url, a.menderUi ?? inventoryVar(a, 'mender_ui_url'));
    if (!ui.ok) return fail(io, ui.error);
    writeFileSync(a.html, maskSecrets(renderHtml([s], { menderUi: ui.value })));
  }
  return s.verdict.exitCode;
}

/**
 * While --wait-ing: on a terminal one bar redrawn in place (coloured unless NO_COLOR), else one
 * plain line per look, which CI logs keep readable. Without --wait nothing.
 */
function progressWriter(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv, wait: boolean) {
  const tty = Boolean((out as NodeJS.WriteStream).isTTY);
  const color = useColor(out, env);
  let drawn = false;
  return {
    update(s: Snapshot, elapsedMs: number): void {
      if (!wait) return;
      out.write(tty ? `\r${progressBar(s.counts, { color })}\x1b[K` : `${progressLine(s, elapsedMs)}\n`);
      drawn = tty;
    },
    /** A line of its own: the bar is cleared first and drawn again at the next look. */
    say(line: string): void {
      out.write(`${drawn ? '\r\x1b[K' : ''}${line}\n`);
      drawn = false;
    },
    end(): void {
      if (drawn) out.write('\n');
    },
  };
}

/** Sets fleetplay/<branch> when its state changes (and on the last look); says once why not when it cannot. */
function publisher(
  io: MonitorIo,
  branch: string,
  commit: string | null,
  say: (line: string) => void,
): (s: Snapshot) => Promise<void> {
  const gh = fromActionsEnv(io.env);
  registerSecret(gh.token);
  const send = statusPublisher({
    token: gh.token,
    repository: gh.repository,
    sha: commit ?? undefined,
    branch,
    baseUrl: gh.apiUrl,
    targetUrl: gh.targetUrl,
    fetch: io.fetch,
  });
  let sent = '';
  return async (s) => {
    // A halted rollout says so in its own words ("halted at wave 2: 3 of 40 failed (at most 2%)").
    const description = s.rollout?.halted ?? describeCounts(countWords(s.counts));
    const key = `${s.verdict.commitState} ${description}`;
    if (key === sent) return;
    sent = key;
    const r = await send(s.verdict.commitState, description);
    if (!r.ok) say(diagnostic(r.error, { prefix: 'warning: ', severity: 'warning', env: io.env }));
    else if (!r.value.sent && r.value.firstNotice) say(r.value.reason);
  };
}

/**
 * A wave's soak ended while the monitor looked: the update workflow is started on the stage branch
 * (mode run) to schedule it, instead of waiting for the next push or the hourly run. A failed
 * request is tried again at the next look; `--no-advance` and a missing token are said once per wave.
 */
function advancer(io: MonitorIo, branch: string, enabled: boolean, say: (line: string) => void): OnOpened {
  return async (waves) => {
    const which = `${waves.length === 1 ? 'wave' : 'waves'} ${waves.join(', ')} of ${branch} may start`;
    if (!enabled) {
      say(`fleetplay: ${which}; ${UPDATE_WORKFLOW} not started (--no-advance)`);
      return true;
    }
    const r = await startUpdateRun(branch, io.env, io.fetch);
    if (!r.ok) say(diagnostic(r.error, { prefix: 'warning: ', severity: 'warning', env: io.env }));
    else say(`fleetplay: ${which}; ${r.value.sent ? `started ${UPDATE_WORKFLOW} on ${branch}` : r.value.reason}`);
    return r.ok;
  };
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerMonitorCommand(program: Command): void {
  program
    .command('monitor')
    .description('follow the updates of a stage branch to convergence; table, JSON, job summary, commit status, HTML')
    .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect, [])
    .option('--playbook <file>', 'playbook whose dry-run gives the desired state', DEFAULT_PLAYBOOK)
    .option('--report <file>', "a run's report.json instead of the dry-run")
    .option('--branch <name>', 'stage branch (default: the checked-out branch, or GITHUB_REF_NAME)')
    .option('--repo <dir>', 'the fleet repository checkout', '.')
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--wait', 'keep looking until every device converged, failed or went silent', false)
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 3)', MONITOR_DEFAULTS.timeout)
    .option('--interval <duration>', 'with --wait: time between looks', MONITOR_DEFAULTS.interval)
    .option(
      '--offline-after <duration>',
      'an update is due and no check-in for longer than this → offline',
      MONITOR_DEFAULTS.offlineAfter,
    )
    .option(
      '--max-failed <n>',
      'devices that may end up not converged (failed, drifted, offline): N or N%',
      MONITOR_DEFAULTS.maxFailed,
    )
    .option(
      '--no-advance',
      `in waves: do not start ${UPDATE_WORKFLOW} on the branch when a wave's soak ends (GITHUB_TOKEN with actions: write)`,
    )
    .option('--json', 'print the snapshot as JSON', false)
    .option('--html <file>', 'write a self-contained HTML report')
    .option(
      '--mender-ui <url>',
      'Mender UI the HTML report links deployments and devices to, or `none` (default: mender_ui_url of the inventory, else the server URL when it is https and not local)',
    )
    .action(async (o: Omit<MonitorArgs, 'inventory'> & { inventory: string[] }) => {
      const inventory = o.inventory.length ? o.inventory : [DEFAULT_INVENTORY];
      process.exitCode = await runMonitor(
        { ...o, inventory },
        { stdout: process.stdout, stderr: process.stderr, env: process.env },
      );
    });
}
