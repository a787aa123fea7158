/**
 * What a run scheduled, from the plan entries of the report: per device the OS and configuration
 * decisions, counted for the job summary and the report's `stage` section. Pure.
 */
import { z } from 'zod';
import type { RunReport } from '../engine/report.js';

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
  }),
  config: z.object({ deploy: z.number().int(), wait: z.number().int(), none: z.number().int() }),
  /** artifact → devices a deployment of it was scheduled for. */
  artifacts: z.record(z.string(), z.number().int()),
});
export type StageReport = z.infer<typeof StageReport>;

type Plan = RunReport['plan'][number];

function planned(plan: Plan[]) {
  const os = { deploy: 0, abort: 0, wait: 0, none: 0, fail: 0 };
  const config = { deploy: 0, wait: 0, none: 0 };
  const artifacts: Record<string, number> = {};
  const hosts = new Set<string>();
  for (const p of plan) {
    hosts.add(p.host);
    const a = p.action ?? 'none';
    if (p.kind === 'os' && a in os) os[a as keyof typeof os]++;
    if (p.kind === 'config' && a in config) config[a as keyof typeof config]++;
    if (p.kind === 'os' && a === 'deploy' && typeof p.to === 'string') artifacts[p.to] = (artifacts[p.to] ?? 0) + 1;
  }
  return { os, config, artifacts, hosts };
}

export function stageReport(report: RunReport): StageReport {
  const { os, config, artifacts, hosts } = planned(report.plan);
  const failedHosts = Object.entries(report.recap)
    .filter(([, s]) => s.failed > 0 || s.unreachable > 0)
    .map(([h]) => h);
  const failed = new Set(failedHosts);
  const subscribed = new Set([...hosts].filter((h) => !failed.has(h))).size;
  const otherBranch = Object.keys(report.recap).filter((h) => !hosts.has(h) && !failed.has(h)).length;
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
    `| failed devices | ${stage.failed} |`,
  ];
  const devices = deviceRows(report);
  const arts = Object.entries(stage.artifacts).map(([a, n]) => `- \`${a}\`: ${n} device${n === 1 ? '' : 's'}`);
  const errors = report.errors.map((e) => `- ${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
  return [
    head,
    '',
    '| | |',
    '|---|---|',
    ...rows,
    '',
    ...(arts.length ? ['OS images:', ...arts, ''] : []),
    ...devices,
    ...(errors.length ? ['Errors:', ...errors, ''] : []),
    `${report.api.requests} OTA API requests (${report.api.writes ?? 0} writes); exit code ${report.exitCode}.`,
    '',
  ].join('\n');
}

const DEVICE_ROWS = 50;
const CHANGES = new Set(['deploy', 'abort', 'fail']);

interface Row {
  id: string;
  os: string[];
  config: string[];
  failed: boolean;
}

/**
 * The devices something happened to (a deployment scheduled or aborted, a failure), by inventory
 * name with the whole device id beside it; the first 50 (report.json lists every one).
 */
function deviceRows(report: RunReport): string[] {
  const rows = new Map<string, Row>();
  const ids = report.devices ?? {};
  const row = (host: string, id?: string): Row =>
    rows.get(host) ?? rows.set(host, { id: id ?? ids[host] ?? host, os: [], config: [], failed: false }).get(host)!;
  for (const p of report.plan) {
    if (!CHANGES.has(p.action ?? '')) continue;
    const r = row(p.host, p.device_id);
    if (p.kind === 'os') r.os.push(osChange(p));
    if (p.kind === 'config') r.config.push(configChange(p));
  }
  for (const [host, st] of Object.entries(report.recap))
    if (st.failed > 0 || st.unreachable > 0) row(host).failed = true;
  if (rows.size === 0) return [];
  const lines = [...rows].slice(0, DEVICE_ROWS).map(([host, r]) => {
    const name = host === r.id ? `\`${host}\`` : `${cell(host)} (\`${r.id}\`)`;
    return `| ${name} | ${cell(r.os.join('; ')) || '–'} | ${cell(r.config.join('; ')) || '–'} | ${r.failed ? 'failed' : 'ok'} |`;
  });
  const more =
    rows.size > DEVICE_ROWS ? [`… and ${rows.size - DEVICE_ROWS} more (report.json lists every device).`, ''] : [];
  return ['Devices:', '', '| device | OS | configuration | result |', '|---|---|---|---|', ...lines, '', ...more];
}

function osChange(p: Plan): string {
  const to = typeof p.to === 'string' ? p.to : '?';
  if (p.action === 'deploy') return `${typeof p.from === 'string' ? p.from : '?'} → ${to}`;
  return `${p.action}: ${p.why}`;
}

function configChange(p: Plan): string {
  const keys = p.to && typeof p.to === 'object' ? Object.keys(p.to) : [];
  return p.action === 'deploy' ? `deploy ${keys.join(', ')}`.trim() : `${p.action}: ${p.why}`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
