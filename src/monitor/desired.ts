/**
 * What the branch wants of each device, recomputed from the commit by the engine in dry-run (the
 * same playbook and planners as the run), or read from a run's report.json. Both end in the plan
 * entries: `os` entries name the wanted image, `config` entries the configuration values that
 * differ (secrets masked).
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { err, ExitCode, fleetError, ok, type Result } from '../errors/index.js';
import { groupResults, RunReport, TaskStatus, type TaskRecord } from '../engine/report.js';
import { z } from 'zod';
import { runPlaybook } from '../engine/run.js';
import { registerMenderModules } from '../modules/mender/index.js';
import { ConfigMap } from '../ota/schemas.js';
import type { Desired, DesiredDevice } from './model.js';

type PlanEntry = RunReport['plan'][number];

/**
 * Plan entries (+ every host the run saw) → desired devices; hosts without an entry follow another
 * branch. A host's device id is its plan entries' `device_id`, else `ids` (the report's `devices`, host →
 * id map), else the host name (reports from before readable names).
 */
export function desiredFromPlan(
  plan: PlanEntry[],
  hosts: string[],
  failed: string[] = [],
  ids: Record<string, string> = {},
): Pick<Desired, 'devices' | 'notSubscribed'> {
  const byHost = new Map<string, DesiredDevice>();
  const entry = (host: string, id?: string) =>
    byHost.get(host) ?? byHost.set(host, { host, device: id ?? ids[host] ?? host }).get(host)!;
  // A host the run failed on before planning (e.g. unknown to the server) is subscribed, not elsewhere.
  for (const h of failed) entry(h);
  for (const p of plan) {
    const d = entry(p.host, p.device_id);
    if (p.kind === 'os' && typeof p.to === 'string') {
      d.artifact = p.to;
      d.why ??= p.why;
    }
    if (p.kind === 'config') {
      const keys = ConfigMap.safeParse(p.to ?? {});
      d.config = { keys: { ...(d.config?.keys ?? {}), ...(keys.success ? keys.data : {}) } };
    }
  }
  const devices = [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
  const notSubscribed = [...new Set(hosts)].filter((h) => !byHost.has(h)).sort();
  return { devices, notSubscribed };
}

/**
 * The parts of a run report the monitor reads. Every host's result is checked only under the
 * mender_* tasks (a failed host there is subscribed): a 100k-device report holds a million.
 */
const MonitoredReport = RunReport.pick({
  schema: true,
  branch: true,
  commit: true,
  recap: true,
  devices: true,
  plan: true,
}).extend({
  results: z.array(
    z.looseObject({ action: z.string(), hosts: z.unknown() }).transform((g, ctx) => {
      if (!g.action.startsWith('mender_')) return { ...g, hosts: {} };
      const hosts = MenderHosts.safeParse(g.hosts);
      if (hosts.success) return { ...g, hosts: hosts.data };
      for (const i of hosts.error.issues) ctx.addIssue({ ...i, path: ['hosts', ...i.path] });
      return z.NEVER;
    }),
  ),
});
const MenderHosts = z.record(z.string(), z.looseObject({ status: TaskStatus }));

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
  return ok({ source: 'report', branch: r.data.branch, commit: r.data.commit, ...fromRunReport(r.data) });
}

type Grouped = { action: string; hosts: Record<string, { status: string }> };

function fromRunReport(
  r: Pick<RunReport, 'recap' | 'plan' | 'devices'> & { results: Grouped[] },
): Pick<Desired, 'devices' | 'notSubscribed'> {
  const failed = new Set<string>();
  for (const g of r.results)
    for (const [host, h] of Object.entries(g.hosts))
      if (failedOnServer({ action: g.action, status: h.status })) failed.add(host);
  // Every host the run handled is in its recap (a host with no result at all is not).
  return desiredFromPlan(r.plan, Object.keys(r.recap), [...failed], r.devices);
}

/** A host a mender_* module failed on: subscribed to the branch, whatever the plan says. */
const failedOnServer = (x: { status: string; action: string }) =>
  x.status === 'failed' && x.action.startsWith('mender_');

export interface EngineInput {
  playbook: string;
  inventory: string[];
  branch: string;
  commit: string | null;
  /** `--server`, ranked as for `fleetplay run` (src/ota/server-url.ts). */
  server?: string;
  env?: NodeJS.ProcessEnv;
}

/** The playbook in dry-run on the same commit: writes nothing, its plan is what the branch wants now. */
export async function desiredFromEngine(i: EngineInput): Promise<Result<Desired>> {
  registerMenderModules();
  // 100k hosts print 100k lines per task: keep the end (for the error message), not all of it.
  let text = '';
  const failed: TaskRecord[] = [];
  const r = await runPlaybook({
    playbook: i.playbook,
    inventory: i.inventory,
    mode: 'dry-run',
    onRecord: (x) => void (failedOnServer(x) && failed.push(x)),
    branch: i.branch,
    commit: i.commit,
    server: i.server,
    extraVars: { fleetplay_branch: i.branch },
    // Only the last lines are kept (for an error message): ok and skipped lines need not be made.
    env: { ...(i.env ?? process.env), ANSIBLE_DISPLAY_OK_HOSTS: 'false', ANSIBLE_DISPLAY_SKIPPED_HOSTS: 'false' },
    stdout: new Writable({ write: (c, _e, cb) => ((text = (text + String(c)).slice(-TAIL_CHARS)), cb()) }),
    // Its warnings (a held device…) are the update run's to say; the monitor reports those devices itself.
    stderr: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  if (r.errors.length && r.report.plan.length === 0) {
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
    ...fromRunReport({ ...r.report, results: groupResults(failed) }),
  });
}

const TAIL_CHARS = 16_384;
const tail = (s: string) => s.trim().split('\n').slice(-5).join('\n');
