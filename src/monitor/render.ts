/**
 * Text for people: the terminal table, the progress line or bar while waiting, and the job
 * summary in markdown. Pure functions of a snapshot; the caller masks and writes.
 */
import { waveLines, waveTable } from '../plan/waves.js';
import { deviceLabel } from '../inventory/device-id.js';
import { SETTLED_STATES, STATES, stateLabel, type Counts, type DeviceReport, type Snapshot } from './model.js';

const short = (s: string | null | undefined) => (s ? s.slice(0, 12) : 'unknown');
const NEED_ATTENTION = new Set(['failed', 'drift', 'offline']);

/** Devices not converged, the ones that need a person first. */
export function notConverged(devices: DeviceReport[]): DeviceReport[] {
  const order = ['failed', 'drift', 'offline', 'in_progress', 'pending'];
  return devices
    .filter((d) => d.state !== 'converged')
    .sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state) || a.host.localeCompare(b.host));
}

export function countsLine(c: Counts): string {
  const parts = [...STATES, 'not_subscribed' as const].filter((s) => c[s] > 0).map((s) => `${c[s]} ${stateLabel(s)}`);
  return parts.length ? parts.join(', ') : 'no devices';
}

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** At most `limit` rows: a fleet of 100k prints the devices that matter, then a count. */
/** The stage's waves as the plan sees them now, and a halt. */
function rolloutLines(s: Snapshot): string[] {
  if (!s.rollout) return [];
  return [...(s.rollout.halted ? [s.rollout.halted] : []), ...waveLines(s.rollout.waves)];
}

export function table(s: Snapshot, limit = 50): string {
  const head = `fleetplay/${s.branch} at ${short(s.commit)} (${s.takenAt}): ${countsLine(s.counts)}`;
  const rows = notConverged(s.devices);
  const shown = rows.slice(0, limit);
  const lines = [head, ...rolloutLines(s)];
  if (shown.length) {
    lines.push(
      '',
      pad([
        ['DEVICE', 'STATE', 'DEPLOYMENT', 'WHY'],
        ...shown.map((d) => [
          deviceLabel(d.host, d.device, { short: true }),
          stateLabel(d.state),
          d.deployment ?? '-',
          d.why,
        ]),
      ]),
    );
    for (const d of shown.filter((x) => x.logTail?.length))
      lines.push(
        '',
        `log of ${deviceLabel(d.host, d.device)} (deployment ${d.deployment}):`,
        ...d.logTail!.map((l) => `  ${l}`),
      );
  }
  if (rows.length > shown.length)
    lines.push(`… and ${rows.length - shown.length} more devices not converged (--json lists all)`);
  lines.push('', s.verdict.summary);
  return lines.join('\n') + '\n';
}

const SGR = { done: 32, bad: 31, run: 33 } as const;
const isSettled = new Set<string>(SETTLED_STATES);
const UNSETTLED = [...STATES, 'not_subscribed' as const].filter((s) => !isSettled.has(s));

/**
 * What the progress says: how many subscribed devices have settled (see SETTLED_STATES) and how,
 * then the others, e.g. `5/7 settled (4 converged, 1 failed), 1 in progress, 1 offline`.
 */
export function settledLine(c: Counts): string {
  const total = STATES.reduce((n, s) => n + c[s], 0);
  const settled = SETTLED_STATES.reduce((n, s) => n + c[s], 0);
  const how = SETTLED_STATES.filter((s) => c[s] > 0).map((s) => `${c[s]} ${stateLabel(s)}`);
  const rest = UNSETTLED.filter((s) => c[s] > 0).map((s) => `${c[s]} ${stateLabel(s)}`);
  return [`${settled}/${total} settled${how.length ? ` (${how.join(', ')})` : ''}`, ...rest].join(', ');
}

/**
 * A bar over the subscribed devices: the settled ones first (converged `#`, failed or drifted `!`),
 * then in progress `>`, offline `?`, pending `.`. `color` paints them green, red, yellow (a
 * terminal without NO_COLOR). The percentage is the settled share.
 */
export function progressBar(c: Counts, o: { width?: number; color?: boolean } = {}): string {
  const width = o.width ?? 30;
  const total = STATES.reduce((n, s) => n + c[s], 0);
  if (total === 0) return `[${' '.repeat(width)}] no devices`;
  const paint = (text: string, code?: number) => (o.color && text && code ? `\x1b[${code}m${text}\x1b[0m` : text);
  const segments: [number, string, number?][] = [
    [c.converged, '#', SGR.done],
    [c.failed + c.drift, '!', SGR.bad],
    [c.in_progress, '>', SGR.run],
    [c.offline, '?'],
  ];
  let used = 0;
  let bar = '';
  for (const [n, char, code] of segments) {
    const cells = Math.min(width - used, Math.round((n / total) * width));
    bar += paint(char.repeat(cells), code);
    used += cells;
  }
  const settled = SETTLED_STATES.reduce((n, s) => n + c[s], 0);
  return `[${bar}${'.'.repeat(width - used)}] ${Math.floor((settled / total) * 100)}% ${settledLine(c)}`;
}

export function progressLine(s: Snapshot, elapsedMs: number): string {
  return `${new Date(s.takenAt).toISOString()} +${Math.round(elapsedMs / 1000)}s ${settledLine(s.counts)}`;
}

/** `kiosk-next` (`854df144-…`): the name, and the whole id to copy. */
const mdDevice = (d: { host: string; device: string }) =>
  d.host === d.device ? `\`${d.host}\`` : `${cell(d.host)} (\`${d.device}\`)`;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The job summary: counts per state, the devices not converged with their deployments. */
export function markdown(s: Snapshot, limit = 200): string {
  const icon = { success: '✅', failure: '❌', pending: '⏳' }[s.verdict.commitState];
  const lines = [
    `## ${icon} Fleet monitor: \`${s.branch}\` at \`${short(s.commit)}\``,
    '',
    `${s.verdict.summary}. Taken ${s.takenAt}; desired state from ${s.source === 'engine' ? 'the commit (dry-run)' : 'the run report'}.`,
    '',
    '| state | devices |',
    '|---|---:|',
    ...[...STATES, 'not_subscribed' as const].map((k) => `| ${stateLabel(k)} | ${s.counts[k]} |`),
  ];
  if (s.rollout) lines.push('', '### Rollout waves', '', ...waveTable(s.rollout.waves));
  const rows = notConverged(s.devices);
  if (rows.length) {
    lines.push('', '### Devices not converged', '', '| device | state | deployment | why |', '|---|---|---|---|');
    for (const d of rows.slice(0, limit))
      lines.push(
        `| ${mdDevice(d)} | ${stateLabel(d.state)} | ${d.deployment ? `\`${d.deployment}\`` : '–'} | ${cell(d.why)} |`,
      );
    if (rows.length > limit) lines.push('', `… and ${rows.length - limit} more.`);
    const logs = rows.filter((d) => d.logTail?.length).slice(0, 5);
    for (const d of logs)
      lines.push(
        '',
        `<details><summary>log of ${deviceLabel(d.host, d.device)}</summary>`,
        '',
        '```',
        ...d.logTail!,
        '```',
        '</details>',
      );
  }
  return lines.join('\n') + '\n';
}

export const needsAttention = (d: DeviceReport) => NEED_ATTENTION.has(d.state);
