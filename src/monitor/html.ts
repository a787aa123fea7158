/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no script, no external asset) for
 * people who would rather look than read: a stacked bar of devices per stage and state, the
 * devices that need attention, when it was taken and for which commit.
 */
import { shortId } from '../inventory/device-id.js';
import { waveStatuses, type WaveRow, type WaveStatus } from '../plan/waves.js';
import { timeLeft } from '../rollout/decide.js';
import { deploymentPage, devicePage } from './mender-ui.js';
import { STATES, stateLabel, type DeviceReport, type DeviceState, type Snapshot } from './model.js';
import { notConverged } from './render.js';

/** Options of the page: `menderUi` is the Mender UI's base URL, when there is one to link to. */
export interface HtmlOptions {
  limit?: number;
  menderUi?: string;
}

const COLORS: Record<DeviceState, string> = {
  converged: '#2da44e',
  pending: '#bf8700',
  in_progress: '#0969da',
  drift: '#8250df',
  offline: '#6e7781',
  failed: '#cf222e',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const BAR_W = 560;
const ROW_H = 34;
const LABEL_W = 110;

/** One row per stage: segments in state order, each with its count and a <title> tooltip. */
export function chartSvg(snaps: Snapshot[]): string {
  const height = snaps.length * ROW_H + 40;
  const rows = snaps.map((s, i) => {
    const total = STATES.reduce((n, k) => n + s.counts[k], 0);
    const y = 10 + i * ROW_H;
    let x = LABEL_W;
    const segs = STATES.filter((k) => s.counts[k] > 0).map((k) => {
      const w = Math.max(2, (s.counts[k] / total) * BAR_W);
      const seg = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="24" fill="${COLORS[k]}" data-state="${k}"><title>${stateLabel(k)}: ${s.counts[k]}</title></rect>${w > 24 ? `<text x="${(x + w / 2).toFixed(1)}" y="${y + 16}" text-anchor="middle" fill="#fff" font-size="12">${s.counts[k]}</text>` : ''}`;
      x += w;
      return seg;
    });
    const label = `<text x="0" y="${y + 16}" font-size="13" font-weight="600">${escapeHtml(s.branch)}</text>`;
    const empty = total === 0 ? `<text x="${LABEL_W}" y="${y + 16}" font-size="12">no devices subscribed</text>` : '';
    return label + segs.join('') + empty;
  });
  const legend = STATES.map(
    (k, i) =>
      `<rect x="${LABEL_W + i * 92}" y="${height - 22}" width="12" height="12" fill="${COLORS[k]}"/><text x="${LABEL_W + 16 + i * 92}" y="${height - 12}" font-size="12">${stateLabel(k)}</text>`,
  ).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="devices per stage and state" width="${LABEL_W + BAR_W + 10}" height="${height}" viewBox="0 0 ${LABEL_W + BAR_W + 10} ${height}">${rows.join('')}${legend}</svg>`;
}

function countsTable(s: Snapshot): string {
  const cells = [...STATES, 'not_subscribed' as const].map(
    (k) => `<tr><th scope="row">${stateLabel(k)}</th><td class="n" data-count="${k}">${s.counts[k]}</td></tr>`,
  );
  return `<table class="counts"><tbody>${cells.join('')}</tbody></table>`;
}

/** `kiosk-next (854df144…)`: the name, the id shortened (whole in its tooltip), linked to the device's UI page. */
function deviceCell(d: DeviceReport, ui: string | undefined): string {
  const id = escapeHtml(d.device);
  const idText = d.host === d.device ? id : escapeHtml(shortId(d.device));
  const idHtml = ui
    ? `<a class="device-id" href="${escapeHtml(devicePage(ui, d.device))}" title="${id}">${idText}</a>`
    : `<span class="device-id" title="${id}">${idText}</span>`;
  return d.host === d.device
    ? `<code>${idHtml}</code>`
    : `<code title="${id}">${escapeHtml(d.host)}</code> (${idHtml})`;
}

function deploymentCell(d: DeviceReport, ui: string | undefined): string {
  if (!d.deployment) return '–';
  const code = `<code>${escapeHtml(d.deployment)}</code>`;
  return ui ? `<a class="deployment" href="${escapeHtml(deploymentPage(ui, d.deployment))}">${code}</a>` : code;
}

/** A wave's devices by where they are: the bar's segments, in this order. */
const WAVE_PARTS = [
  { key: 'succeeded', label: 'succeeded', color: COLORS.converged, of: (r: WaveRow) => r.installed },
  { key: 'failed', label: 'failed', color: COLORS.failed, of: (r: WaveRow) => r.failed },
  {
    key: 'running',
    label: 'scheduled or in flight',
    color: COLORS.in_progress,
    of: (r: WaveRow) => r.scheduled + r.in_flight,
  },
  { key: 'waiting', label: 'not started', color: '#d0d7de', of: (r: WaveRow) => r.later },
] as const;

const pendingOf = (r: WaveRow) => r.scheduled + r.in_flight + r.later;
const WAVE_BAR_W = 160;

/** The wave's devices as a bar; its words (aria-label, tooltips) say what the colours do. */
function waveBar(r: WaveRow): string {
  let x = 0;
  const segs = WAVE_PARTS.filter((p) => p.of(r) > 0).map((p) => {
    const w = (p.of(r) / Math.max(1, r.devices)) * WAVE_BAR_W;
    const seg = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="14" fill="${p.color}" data-part="${p.key}"><title>${p.label}: ${p.of(r)}</title></rect>`;
    x += w;
    return seg;
  });
  const words = WAVE_PARTS.map((p) => `${p.of(r)} ${p.label}`).join(', ');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="wave ${r.wave}: ${words}" width="${WAVE_BAR_W}" height="14" viewBox="0 0 ${WAVE_BAR_W} 14"><rect width="${WAVE_BAR_W}" height="14" fill="none" stroke="#8c959f"/>${segs.join('')}</svg>`;
}

/** `9%`, `0.5%`: a wave's part of the stage's devices. */
const percent = (n: number, total: number) => `${+((n / Math.max(1, total)) * 100).toFixed(1)}%`;

/** What a wave's state cell says: the state, and for a soak the time left (from the snapshot's time, the server's). */
function stateCell(st: WaveStatus, takenAt: string): string {
  const label = st.state === 'stopped' ? 'not started (halted)' : st.state.replace(/_/g, ' ');
  const head = `<span class="wave-state">${label}</span>`;
  if (st.state !== 'soaking' || !st.until) return head;
  const left = Math.max(0, Date.parse(st.until) - Date.parse(takenAt));
  const at = escapeHtml(st.until.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC'));
  return `${head}<br><small>next wave in ${timeLeft(left)}, at <time datetime="${escapeHtml(st.until)}">${at}</time></small>`;
}

/** One wave as its row sees it. */
interface WaveView {
  r: WaveRow;
  st: WaveStatus;
  /** The stage's devices, and those of this wave and the ones before. */
  total: number;
  upTo: number;
  takenAt: string;
}

const waitsWhy = (v: WaveView) => (v.st.state === 'waiting' && v.r.why ? escapeHtml(v.r.why) : '');

/** The waves table's columns after the wave number: heading, `data-col`, cell. */
const WAVE_COLUMNS: { head: string; col: string; n?: true; cell: (v: WaveView) => string }[] = [
  { head: 'devices', col: 'devices', n: true, cell: (v) => String(v.r.devices) },
  {
    head: 'share',
    col: 'share',
    n: true,
    cell: (v) => `${percent(v.r.devices, v.total)} <span class="upto">(up to ${percent(v.upTo, v.total)})</span>`,
  },
  { head: 'state', col: 'state', cell: (v) => stateCell(v.st, v.takenAt) },
  { head: 'succeeded', col: 'succeeded', n: true, cell: (v) => String(v.r.installed) },
  { head: 'failed', col: 'failed', n: true, cell: (v) => String(v.r.failed) },
  { head: 'pending', col: 'pending', n: true, cell: (v) => String(pendingOf(v.r)) },
  { head: 'progress', col: 'progress', cell: (v) => waveBar(v.r) },
  { head: 'why it waits', col: 'why', cell: waitsWhy },
];

function waveRow(v: WaveView, columns: typeof WAVE_COLUMNS): string {
  const cells = columns.map((c) => `<td${c.n ? ' class="n"' : ''} data-col="${c.col}">${c.cell(v)}</td>`);
  return `<tr class="wave-${v.st.state}" data-wave="${v.r.wave}" data-state="${v.st.state}"><th scope="row">${v.r.wave}</th>${cells.join('')}</tr>`;
}

const verdictLine = (s: Snapshot) => `<p class="verdict ${s.verdict.commitState}">${escapeHtml(s.verdict.summary)}</p>`;

/** A halted rollout, first thing in its stage's section and loudest: the halt's words, and what moves it. */
function haltBanner(s: Snapshot): string {
  const halted = s.rollout?.halted;
  if (!halted) return '';
  // The halt is the stage's verdict (the commit status says these words): it takes the verdict's place.
  return `<div class="halt" role="alert"><p><strong>Rollout halted.</strong> <span class="halt-why">${escapeHtml(halted)}</span></p><p>No further wave starts for this commit; a new commit (a fixed release, or the revert) starts again at wave 1.</p></div>`;
}

/** The stage's rollout: one row per wave. */
function rolloutSection(s: Snapshot): string {
  if (!s.rollout) return '';
  const { waves } = s.rollout;
  const statuses = waveStatuses(waves);
  const total = waves.reduce((n, r) => n + r.devices, 0);
  let upTo = 0;
  const views = waves.map((r, i): WaveView => ({
    r,
    st: statuses[i],
    total,
    upTo: (upTo += r.devices),
    takenAt: s.takenAt,
  }));
  // "why it waits" only when a wave waits for a reason (after a halt, the banner says why).
  const columns = WAVE_COLUMNS.filter((c) => c.col !== 'why' || views.some((v) => waitsWhy(v)));
  const head = columns.map((c) => `<th scope="col">${c.head}</th>`).join('');
  const legend = WAVE_PARTS.map((p) => `<span class="key"><i style="background:${p.color}"></i>${p.label}</span>`).join(
    ' ',
  );
  return `<h3>Rollout waves</h3><table class="waves"><caption>${waves.length} waves over ${total} devices</caption><thead><tr><th scope="col">wave</th>${head}</tr></thead><tbody>${views.map((v) => waveRow(v, columns)).join('')}</tbody></table><p class="legend">${legend}</p>`;
}

function attention(s: Snapshot, limit: number, ui: string | undefined): string {
  const rows = notConverged(s.devices);
  if (rows.length === 0)
    return `<p class="ok">Every subscribed device of ${escapeHtml(s.branch)} runs what the commit wants.</p>`;
  // In waves, each device says which wave it belongs to (its `why` says why it waits).
  const wave = (d: DeviceReport) => (s.rollout ? `<td class="n" data-col="wave">${d.wave ?? '–'}</td>` : '');
  const body = rows
    .slice(0, limit)
    .map(
      (d) =>
        `<tr class="${d.state}" data-device="${escapeHtml(d.device)}"><td>${deviceCell(d, ui)}</td>${wave(d)}<td class="state">${stateLabel(d.state)}</td><td>${deploymentCell(d, ui)}</td><td>${escapeHtml(d.why)}${
          d.logTail?.length ? `<pre>${escapeHtml(d.logTail.join('\n'))}</pre>` : ''
        }</td></tr>`,
    )
    .join('');
  const more = rows.length > limit ? `<p>… and ${rows.length - limit} more devices not converged.</p>` : '';
  const waveHead = s.rollout ? '<th>wave</th>' : '';
  return `<table class="devices"><thead><tr><th>device</th>${waveHead}<th>state</th><th>deployment</th><th>why</th></tr></thead><tbody>${body}</tbody></table>${more}`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2328}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.n{text-align:right}tr.failed td.state{color:#cf222e;font-weight:600}pre{margin:.3rem 0 0;font-size:.8rem;white-space:pre-wrap}
.verdict{font-size:1.1rem;font-weight:600}.success{color:#1a7f37}.failure{color:#cf222e}.pending{color:#9a6700}
.halt{border:3px solid #cf222e;background:#ffebe9;padding:.2rem 1rem;margin:1rem 0;font-size:1.05rem}.halt strong{color:#a40e26;font-size:1.2rem}
table.waves caption{text-align:left;font-weight:600;padding-bottom:.3rem}table.waves td,table.waves th{vertical-align:middle}
.upto{color:#59636e;font-size:.85rem}td[data-col=share],.wave-state{white-space:nowrap}td[data-col=why]{min-width:14rem}td[data-col=state]{min-width:10rem}.wave-state{font-weight:600}tr.wave-halted .wave-state{color:#cf222e}tr.wave-done .wave-state{color:#1a7f37}
tr.wave-soaking .wave-state,tr.wave-in_progress .wave-state{color:#0969da}tr.wave-stopped,tr.wave-waiting{color:#59636e}
.legend .key{margin-right:1rem;font-size:.85rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-.1rem;border:1px solid #8c959f}`;

export function renderHtml(snaps: Snapshot[], opts: HtmlOptions = {}): string {
  const first = snaps[0];
  const sections = snaps
    .map(
      (
        s,
      ) => `<section data-branch="${escapeHtml(s.branch)}"><h2>Stage ${escapeHtml(s.branch)} — commit <code>${escapeHtml(s.commit ?? 'unknown')}</code></h2>
${haltBanner(s) || verdictLine(s)}${countsTable(s)}${rolloutSection(s)}
<h3>Devices that need attention</h3>${attention(s, opts.limit ?? 500, opts.menderUi)}</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fleetplay — ${escapeHtml(snaps.map((s) => s.branch).join(', '))}</title><style>${CSS}</style></head>
<body><h1>Fleet report</h1>
<p>Taken <time datetime="${first.takenAt}">${first.takenAt}</time> for commit <code>${escapeHtml(first.commit ?? 'unknown')}</code>.</p>
<figure>${chartSvg(snaps)}<figcaption>Devices per stage and state</figcaption></figure>
${sections}
</body></html>
`;
}
