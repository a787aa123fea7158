/**
 * Renderers of the plan: pure functions of it. Text for the terminal (after PLAY RECAP and from
 * `fleetplay plan`), markdown for pull requests and job summaries, JSON for tools. Configuration
 * shows keys only, never values; registered secrets are masked in whatever is left.
 */
import { maskDeep, maskSecrets } from '../log/index.js';
import {
  changes,
  fails,
  RETRY_HINT,
  waitsForWindow,
  type ConfigDecision,
  type DevicePlan,
  type OsDecision,
  type Plan,
} from './model.js';
import { waveLines, waveRows, waveTable } from './waves.js';

/** Devices listed one by one; the rest are counted. */
export const FOLD_AT = 50;

export interface PlanCounts {
  devices: number;
  os: number;
  config: number;
  waiting: number;
  held: number;
  /** Devices with a change planned that waits for their maintenance window: nothing written. */
  window: number;
  /** To be deployed once the OTA server's cap of active deployments leaves room (a later run). */
  deferred: number;
  /** Waiting for their rollout wave (or halted). */
  later: number;
  failing: number;
  unchanged: number;
  /** Devices that follow another stage: left alone, neither changed nor unchanged by this run. */
  other_stage: number;
}

export function countPlan(plan: Plan): PlanCounts {
  const n: PlanCounts = {
    devices: 0,
    os: 0,
    config: 0,
    waiting: 0,
    held: 0,
    window: 0,
    deferred: 0,
    later: 0,
    failing: 0,
    unchanged: 0,
    other_stage: 0,
  };
  for (const d of plan.devices) {
    n.devices++;
    if (d.other_stage) {
      n.other_stage++;
      continue;
    }
    if (d.os.action === 'deploy' || d.os.action === 'abort-then-deploy') n.os++;
    if (d.config.action === 'set') n.config++;
    if (d.os.action === 'wait' || d.config.action === 'wait') n.waiting++;
    if (d.os.action === 'held') n.held++;
    if (waitsForWindow(d)) n.window++;
    if (d.os.action === 'deferred') n.deferred++;
    if (d.os.action === 'later' || d.config.action === 'later') n.later++;
    if (d.os.action === 'fail' || d.config.action === 'fail') n.failing++;
    if (d.os.action === 'none' && d.config.action === 'none') n.unchanged++;
  }
  return n;
}

export function countsLine(n: PlanCounts): string {
  const held = n.held ? `, ${fmt(n.held)} held` : '';
  const window = n.window ? `, ${fmt(n.window)} outside their maintenance window` : '';
  const deferred = n.deferred ? `, ${fmt(n.deferred)} deferred` : '';
  const later = n.later ? `, ${fmt(n.later)} in a later wave` : '';
  return (
    `${fmt(n.devices)} devices: ${fmt(n.os)} to update OS, ${fmt(n.config)} to set configuration, ` +
    `${fmt(n.waiting)} waiting${later}, ${fmt(n.failing)} failing${held}${window}${deferred}, ${fmt(n.unchanged)} unchanged, ` +
    `${fmt(n.other_stage)} on another stage`
  );
}

export const fmt = (n: number): string => n.toLocaleString('en-US');

/** `kiosk-next (854df144…)`; a host named by its id is shown by the id alone. */
export function deviceLabel(d: Pick<DevicePlan, 'host' | 'device_id'>): string {
  if (d.host === d.device_id) return d.host;
  const id = d.device_id.length > 12 ? `${d.device_id.slice(0, 8)}…` : d.device_id;
  return `${d.host} (${id})`;
}

/** `fleet-os-1.0.0 → fleet-os-1.1.0`, with what is aborted first; undefined when the OS stays. */
export function osChange(o: OsDecision): string | undefined {
  if (o.action === 'deploy') return `${o.from ?? '(unknown)'} → ${o.to}`;
  if (o.action === 'later' && o.abort?.length) return `abort ${o.abort.join(', ')} (rollout halted)`;
  if (o.action !== 'abort-then-deploy') return undefined;
  const abort = `abort ${o.abort.join(', ')}`;
  return o.from === o.to ? `${abort} (keeps ${o.to})` : `${abort}, then ${o.from ?? '(unknown)'} → ${o.to}`;
}

/** `+kiosk_url ~os_image -x`: added, changed, removed keys. */
export function configChange(c: ConfigDecision): string | undefined {
  if (c.action !== 'set') return undefined;
  return keyList(c);
}

const keyList = (c: Extract<ConfigDecision, { added: string[] }>): string =>
  [...c.added.map((k) => `+${k}`), ...c.changed.map((k) => `~${k}`), ...c.removed.map((k) => `-${k}`)].join(' ');

/** The command that deploys a held device again (the default playbook's `retry_failed`). */
export const retryCommand = (d: Pick<DevicePlan, 'host'>): string => `${RETRY_HINT} --limit ${d.host}`;

/**
 * A device's OS as the plan shows it: the change, the change waiting for the maintenance window
 * (with when it opens), or a held device with the command that retries it.
 */
export function osCell(d: DevicePlan): string | undefined {
  const o = d.os;
  if (o.action === 'window') return `${o.from ?? '(unknown)'} → ${o.to} — ${o.why}`;
  if (o.action === 'held') {
    const at = o.failed_at ? ` at ${o.failed_at}` : '';
    return `held: the deployment of ${o.to ?? 'the image'} failed${at}; retry with \`${retryCommand(d)}\``;
  }
  return osChange(o);
}

/** The configuration keys changing, or waiting for the window (said once per device: the OS cell may say it). */
export function configCell(d: DevicePlan): string | undefined {
  const c = d.config;
  if (c.action === 'later')
    return `${keyList(c)} in wave ${c.wave}${c.failed ? ' (its deployment failed on the device)' : ''} — ${c.why}`;
  if (c.action !== 'window') return configChange(c);
  return `${keyList(c)} ${d.os.action === 'window' ? 'when its window opens' : `— ${c.why}`}`;
}

/** Devices the plan lists: a change, a change waiting for the window, a held device. */
const listed = (d: DevicePlan): boolean => changes(d) || waitsForWindow(d) || d.os.action === 'held';

function changing(plan: Plan, which: (d: DevicePlan) => boolean = changes): { shown: DevicePlan[]; more: number } {
  const all = plan.devices.filter(which);
  return { shown: all.slice(0, FOLD_AT), more: Math.max(0, all.length - FOLD_AT) };
}

const firstLine = (why: string): string => why.split('\n')[0];

/** What the summary line says of a device: OS, then configuration; one `failed: why` when both failed alike. */
function lineParts(d: DevicePlan): string[] {
  const osFail = d.os.action === 'fail' ? firstLine(d.os.why) : undefined;
  const cfgFail = d.config.action === 'fail' ? firstLine(d.config.why) : undefined;
  if (osFail !== undefined && osFail === cfgFail) return [`failed: ${osFail}`];
  const os = osFail !== undefined ? `OS failed: ${osFail}` : osCell(d) && `OS ${osCell(d)}`;
  const cfg = cfgFail !== undefined ? `config failed: ${cfgFail}` : configCell(d) && `config: ${configCell(d)}`;
  return [os, cfg].filter((x): x is string => x !== undefined);
}

export const moreLine = (n: number): string => `… and ${fmt(n)} more device${n === 1 ? '' : 's'}`;

export interface TextOptions {
  /** ANSI colour (only on a TTY, never with NO_COLOR: the caller decides with useColor). */
  color: boolean;
}

export function renderText(plan: Plan, o: TextOptions): string {
  const c = (code: string, s: string) => (o.color ? `\x1b[0;${code}m${s}\x1b[0m` : s);
  // Failing devices too: the terminal is where an operator reads why a device gets nothing.
  const { shown, more } = changing(plan, (d) => listed(d) || fails(d));
  const lines = [`PLAN: ${countsLine(countPlan(plan))}`, ...waveLines(waveRows(plan.devices)).map((l) => `  ${l}`)];
  for (const d of shown) lines.push(c(fails(d) ? '31' : '33', `  ${deviceLabel(d)}: ${lineParts(d).join('; ')}`));
  if (more) lines.push(`  ${moreLine(more)}`);
  const deferred = plan.devices.find((d) => d.os.action === 'deferred')?.os;
  if (deferred?.why) lines.push(`  deferred: ${deferred.why}`);
  return `${maskSecrets(lines.join('\n'))}\n`;
}

/** A table cell: pipes and line breaks would break the row. */
export const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderMarkdown(plan: Plan, heading = '### Plan'): string {
  const { shown, more } = changing(plan, listed);
  const waves = waveTable(waveRows(plan.devices));
  const out = [heading, '', countsLine(countPlan(plan)), '', ...(waves.length ? [...waves, ''] : [])];
  if (shown.length) {
    out.push('| Device | Id | OS | Configuration |', '| --- | --- | --- | --- |');
    for (const d of shown)
      out.push(
        `| ${cell(d.host)} | \`${cell(d.device_id)}\` | ${cell(osCell(d) ?? '')} | ${cell(configCell(d) ?? '')} |`,
      );
    if (more) out.push('', `_${moreLine(more)}_`);
  } else out.push('No device changes.');
  return `${maskSecrets(out.join('\n'))}\n`;
}

/** Every device, not folded; configuration keys only (the values stay in report.json, for the monitor). */
export function renderJson(plan: Plan): string {
  const devices = plan.devices.map((d) =>
    d.config.action === 'set' || d.config.action === 'later' ? { ...d, config: { ...d.config, values: undefined } } : d,
  );
  const waves = waveRows(plan.devices);
  const out = { ...plan, devices, counts: countPlan(plan), ...(waves.length ? { waves } : {}) };
  return `${JSON.stringify(maskDeep(out), null, 2)}\n`;
}

export type PlanFormat = 'text' | 'markdown' | 'json';

export function renderPlan(plan: Plan, format: PlanFormat, o: TextOptions = { color: false }): string {
  return format === 'json' ? renderJson(plan) : format === 'markdown' ? renderMarkdown(plan) : renderText(plan, o);
}
