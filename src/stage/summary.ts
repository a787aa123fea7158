/**
 * What a run scheduled, from the report's typed plan (src/plan/model.ts): per device the OS and
 * configuration decisions, counted for the job summary and the report's `stage` section. Pure.
 */
import { z } from 'zod';
import type { RunReport } from '../engine/report.js';
import {
  changes,
  configCell,
  configDecided,
  fails,
  osCell,
  RETRY_HINT,
  waitsForWindow,
  waveRows,
  waveTable,
  type DevicePlan,
} from '../plan/index.js';

export const StageReport = z.object({
  branch: z.string().nullable(),
  commit: z.string().nullable(),
  /** Devices the play handled (subscribed to the branch, not failed before the plan). */
  subscribed: z.number().int(),
  /** Devices that follow another branch and were left alone. */
  otherBranch: z.number().int(),
  failed: z.number().int(),
  os: z.object({
    deploy: z.number().int(),
    abort: z.number().int(),
    wait: z.number().int(),
    none: z.number().int(),
    fail: z.number().int(),
    /** Held back after a failed deployment of the image (retried with `-e retry_failed=true`). */
    held: z.number().int(),
    /** An update planned that waits for the device's maintenance window: not written. */
    window: z.number().int(),
  }),
  config: z.object({
    deploy: z.number().int(),
    wait: z.number().int(),
    none: z.number().int(),
    window: z.number().int(),
  }),
  /** artifact → devices a deployment of it was scheduled for. */
  artifacts: z.record(z.string(), z.number().int()),
});
export type StageReport = z.infer<typeof StageReport>;

/** Counts of the typed plan's decisions, in the report's `stage` vocabulary. */
function planned(plan: readonly DevicePlan[]) {
  const os = { deploy: 0, abort: 0, wait: 0, none: 0, fail: 0, held: 0, window: 0 };
  const config = { deploy: 0, wait: 0, none: 0, window: 0 };
  const artifacts: Record<string, number> = {};
  for (const { os: o, config: c, other_stage } of plan) {
    if (other_stage) continue;
    if (o.action === 'abort-then-deploy' && o.to === o.from) os.abort++;
    else if (o.action === 'deploy' || o.action === 'abort-then-deploy') {
      os.deploy++;
      artifacts[o.to] = (artifacts[o.to] ?? 0) + 1;
    } else if (o.action === 'wait' || o.action === 'fail' || o.action === 'held' || o.action === 'window')
      os[o.action]++;
    else if (o.action === 'none' && o.to !== undefined) os.none++;
    if (c.action === 'set') config.deploy++;
    else if (c.action === 'wait' || c.action === 'window') config[c.action]++;
    else if (c.action === 'none' && configDecided(c)) config.none++;
  }
  return { os, config, artifacts };
}

export function stageReport(report: RunReport): StageReport {
  const { os, config, artifacts } = planned(report.plan);
  const failedHosts = Object.entries(report.recap)
    .filter(([, s]) => s.failed > 0 || s.unreachable > 0)
    .map(([h]) => h);
  const failed = new Set(failedHosts);
  const subscribed = report.plan.filter((d) => !d.other_stage && !failed.has(d.host)).length;
  const otherBranch = report.plan.filter((d) => d.other_stage).length;
  return {
    branch: report.branch,
    commit: report.commit,
    subscribed,
    otherBranch,
    failed: failed.size,
    os,
    config,
    artifacts,
  };
}

/** The job summary: a few lines an operator reads on the workflow run page. */
export function summaryMarkdown(report: RunReport, stage: StageReport): string {
  const verb = report.mode === 'run' ? 'scheduled' : 'would schedule (dry run)';
  const head = `### fleetplay ${report.mode} on \`${stage.branch ?? '?'}\`${stage.commit ? ` at \`${stage.commit.slice(0, 12)}\`` : ''}`;
  const rows = [
    `| devices subscribed to \`${stage.branch ?? '?'}\` | ${stage.subscribed} |`,
    `| devices on other branches (left alone) | ${stage.otherBranch} |`,
    `| OS updates ${verb} | ${stage.os.deploy} |`,
    `| OS deployments of another image aborted | ${stage.os.abort} |`,
    `| OS update already in flight (left alone) | ${stage.os.wait} |`,
    `| configuration updates ${verb} | ${stage.config.deploy} |`,
    ...(stage.os.window || stage.config.window
      ? [
          `| updates outside the maintenance window (planned, not written) | ${stage.os.window} OS, ${stage.config.window} configuration |`,
        ]
      : []),
    ...(stage.os.held ? [`| held after a failed update (retry: \`${RETRY_HINT}\`) | ${stage.os.held} |`] : []),
    `| failed devices | ${stage.failed} |`,
  ];
  const devices = deviceRows(report);
  const arts = Object.entries(stage.artifacts).map(([a, n]) => `- \`${a}\`: ${n} device${n === 1 ? '' : 's'}`);
  const errors = report.errors.map((e) => `- ${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
  const waves = waveTable(waveRows(report.plan));
  return [
    head,
    '',
    '| | |',
    '|---|---|',
    ...rows,
    '',
    ...(arts.length ? ['OS images:', ...arts, ''] : []),
    ...(waves.length ? ['Rollout waves:', '', ...waves, ''] : []),
    ...devices,
    ...(errors.length ? ['Errors:', ...errors, ''] : []),
    `${report.api.requests} OTA API requests (${report.api.writes ?? 0} writes); exit code ${report.exitCode}.`,
    '',
  ].join('\n');
}

const DEVICE_ROWS = 50;

/**
 * The devices something happened to (a deployment scheduled or aborted, a configuration set, a
 * failure), by inventory name with the whole device id beside it; the first 50 (report.json lists
 * every one). OS and configuration read as in the plan summary (src/plan/render.ts).
 */
function deviceRows(report: RunReport): string[] {
  const failed = (host: string) => {
    const st = report.recap[host];
    return st !== undefined && (st.failed > 0 || st.unreachable > 0);
  };
  const rows = report.plan.filter(
    (d) => changes(d) || fails(d) || failed(d.host) || waitsForWindow(d) || d.os.action === 'held',
  );
  if (rows.length === 0) return [];
  const lines = rows.slice(0, DEVICE_ROWS).map((d) => {
    const name = d.host === d.device_id ? `\`${d.host}\`` : `${cell(d.host)} (\`${d.device_id}\`)`;
    const os = d.os.action === 'fail' ? `fail: ${d.os.why}` : (osCell(d) ?? '');
    const cfg = d.config.action === 'fail' ? `fail: ${d.config.why}` : (configCell(d) ?? '');
    return `| ${name} | ${cell(os) || '–'} | ${cell(cfg) || '–'} | ${failed(d.host) ? 'failed' : 'ok'} |`;
  });
  const more =
    rows.length > DEVICE_ROWS ? [`… and ${rows.length - DEVICE_ROWS} more (report.json lists every device).`, ''] : [];
  return ['Devices:', '', '| device | OS | configuration | result |', '|---|---|---|---|', ...lines, '', ...more];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
