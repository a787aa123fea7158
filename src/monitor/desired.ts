/**
 * What the branch wants of each device, recomputed from the commit by the engine in dry-run (the
 * same playbook and planners as the run), or read from a run's report.json. Both end in the typed
 * plan (src/plan/model.ts): the OS decision names the wanted image, a configuration decision says
 * the branch manages the device's configuration and which values it sets (secrets masked).
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { err, ExitCode, fleetError, ok, type Result } from '../errors/index.js';
import { PlanRecord, RunReport, TaskStatus } from '../engine/report.js';
import { z } from 'zod';
import { runPlaybook } from '../engine/run.js';
import { registerMenderModules } from '../modules/mender/index.js';
import {
  buildPlan,
  configDecided,
  DevicePlan,
  haltOf,
  wantedImage,
  waveRows,
  type HostFailure,
} from '../plan/index.js';
import type { RolloutPolicy } from '../rollout/policy.js';
import type { Desired, DesiredDevice } from './model.js';

/** The typed plan → desired devices; devices on another stage are not subscribed. */
export function desiredFromPlan(
  plan: readonly DevicePlan[],
): Pick<Desired, 'devices' | 'notSubscribed' | 'halted' | 'waves'> {
  const devices: DesiredDevice[] = [];
  const notSubscribed: string[] = [];
  for (const d of plan) {
    if (d.other_stage) {
      notSubscribed.push(d.host);
      continue;
    }
    devices.push(desiredDevice(d));
  }
  devices.sort((a, b) => a.host.localeCompare(b.host));
  const halted = haltOf(plan);
  const waves = waveRows(plan);
  return {
    devices,
    notSubscribed: [...new Set(notSubscribed)].sort(),
    ...(halted ? { halted } : {}),
    ...(waves.length ? { waves } : {}),
  };
}

function desiredDevice(d: DevicePlan): DesiredDevice {
  const out: DesiredDevice = { host: d.host, device: d.device_id };
  // Its wave has not started (or the rollout halted): nothing is due on the device yet.
  if (d.os.action === 'later') Object.assign(out, { later: d.os.why, laterArtifact: d.os.to });
  if (d.wave !== undefined) out.wave = d.wave;
  const artifact = d.os.action === 'later' ? undefined : wantedImage(d.os);
  if (artifact !== undefined) out.artifact = artifact;
  if (d.os.why !== undefined && (artifact !== undefined || d.os.action === 'fail')) out.why = d.os.why;
  // A configuration waiting for its wave (or held by a halt) is not due on the device yet either.
  if (d.config.action === 'later')
    Object.assign(out, {
      later: out.later ?? d.config.why,
      configLater: true,
      laterConfig: { ...(d.config.values ?? {}) },
    });
  else if (configDecided(d.config) && d.config.action !== 'fail')
    out.config = { keys: d.config.action === 'set' ? { ...(d.config.values ?? {}) } : {} };
  const failed = [d.os, d.config].find((x) => x.action === 'fail');
  if (failed && artifact === undefined && !out.config) out.planFailed = failed.why;
  const waiting = [d.os, d.config].find((x) => x.action === 'window');
  if (waiting) out.window = waiting.why;
  return out;
}

/**
 * The parts of a run report the monitor reads: the typed plan (run-report/3), or the modules' raw
 * entries of a run-report/2 with the results under the mender_* tasks (a host failed there is
 * subscribed; a 100k-device report holds a million results, the others are not checked).
 */
const Picked = RunReport.pick({ branch: true, commit: true, recap: true, devices: true });
const MonitoredReport = z.discriminatedUnion('schema', [
  Picked.extend({ schema: z.literal('fleetplay.run-report/3'), plan: z.array(DevicePlan) }),
  Picked.extend({
    schema: z.literal('fleetplay.run-report/2'),
    plan: z.array(PlanRecord),
    results: z.array(
      z.looseObject({ action: z.string(), hosts: z.unknown() }).transform((g, ctx) => {
        if (!g.action.startsWith('mender_')) return { ...g, hosts: {} };
        const hosts = MenderHosts.safeParse(g.hosts);
        if (hosts.success) return { ...g, hosts: hosts.data };
        for (const i of hosts.error.issues) ctx.addIssue({ ...i, path: ['hosts', ...i.path] });
        return z.NEVER;
      }),
    ),
  }),
]);
const MenderHosts = z.record(z.string(), z.looseObject({ status: TaskStatus, result: z.unknown().optional() }));
type MonitoredReport = z.infer<typeof MonitoredReport>;

/** `--report report.json`: a run's own account of what it wanted. */
export function desiredFromReport(file: string): Result<Desired> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return err(
      fleetError('monitor.report', `cannot read the run report: ${(e as Error).message}`, {
        file,
        hint: 'pass the report.json written by fleetplay run --report FILE',
      }),
    );
  }
  const r = MonitoredReport.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    return err(
      fleetError('monitor.report', `not a fleetplay run report: ${i?.path.join('.') || '(top)'}: ${i?.message}`, {
        file,
        hint: 'pass the report.json written by fleetplay run --report FILE',
      }),
    );
  }
  return ok({ source: 'report', branch: r.data.branch, commit: r.data.commit, ...desiredFromPlan(typedPlan(r.data)) });
}

const messageOf = (result: unknown): string | undefined => {
  const msg = result && typeof result === 'object' ? (result as { msg?: unknown }).msg : undefined;
  return typeof msg === 'string' && msg ? msg : undefined;
};

/** A run-report/2 had no typed plan: it is built from its entries, its hosts and their mender_* failures. */
function typedPlan(r: MonitoredReport): DevicePlan[] {
  if (r.schema === 'fleetplay.run-report/3') return r.plan;
  const failures: HostFailure[] = [];
  for (const g of r.results)
    for (const [host, h] of Object.entries(g.hosts))
      if (h.status === 'failed') failures.push({ host, why: messageOf(h.result) ?? `${g.action} failed` });
  const devices = { ...Object.fromEntries(Object.keys(r.recap).map((h) => [h, h])), ...(r.devices ?? {}) };
  return buildPlan({ entries: r.plan, devices, failures }).devices;
}

export interface EngineInput {
  playbook: string;
  inventory: string[];
  branch: string;
  commit: string | null;
  /** `--server`, ranked as for `fleetplay run` (src/ota/server-url.ts). */
  server?: string;
  env?: NodeJS.ProcessEnv;
  /** The stage's rollout policy (fleetplay.yml), passed as `fleetplay run` passes it. */
  rollout?: RolloutPolicy;
}

/** The playbook in dry-run on the same commit: writes nothing, its plan is what the branch wants now. */
export async function desiredFromEngine(i: EngineInput): Promise<Result<Desired>> {
  registerMenderModules();
  // 100k hosts print 100k lines per task: keep the end (for the error message), not all of it.
  let text = '';
  const r = await runPlaybook({
    playbook: i.playbook,
    inventory: i.inventory,
    mode: 'dry-run',
    branch: i.branch,
    commit: i.commit,
    server: i.server,
    extraVars: { fleetplay_branch: i.branch, ...(i.rollout ? { fleetplay_rollout: i.rollout } : {}) },
    // Only the last lines are kept (for an error message): ok and skipped lines need not be made.
    env: { ...(i.env ?? process.env), ANSIBLE_DISPLAY_OK_HOSTS: 'false', ANSIBLE_DISPLAY_SKIPPED_HOSTS: 'false' },
    stdout: new Writable({ write: (c, _e, cb) => ((text = (text + String(c)).slice(-TAIL_CHARS)), cb()) }),
    // Its warnings (a held device…) are the update run's to say; the monitor reports those devices itself.
    stderr: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  // Nothing decided for any device: the run did not get to plan (a bad playbook, no branch…).
  if (r.errors.length && r.report.plan.every((d) => d.other_stage)) {
    const first = r.errors[0];
    return err({ ...first, message: `desired state from ${i.playbook} (dry-run): ${first.message}` });
  }
  // The server's own error says which URL, from where, and why: the output's tail would not.
  if (r.otaError)
    return err({
      ...r.otaError,
      message: `the OTA server could not be used while computing the desired state (dry run of ${i.playbook}): ${r.otaError.message}`,
    });
  if (r.exitCode === ExitCode.otaUnreachable)
    return err(
      fleetError(
        'ota.unreachable',
        `the OTA server could not be used while computing the desired state:\n${tail(text)}`,
      ),
    );
  return ok({
    source: 'engine',
    branch: i.branch,
    commit: i.commit,
    ...desiredFromPlan(r.report.plan),
  });
}

const TAIL_CHARS = 16_384;
const tail = (s: string) => s.trim().split('\n').slice(-5).join('\n');
