/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no script, no external asset) for
 * people who would rather look than read: a stacked bar of devices per stage and state, the
 * devices that need attention, when it was taken and for which commit.
 */
import { shortId } from '../inventory/device-id.js';
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

function attention(s: Snapshot, limit: number, ui: string | undefined): string {
  const rows = notConverged(s.devices);
  if (rows.length === 0)
    return `<p class="ok">Every subscribed device of ${escapeHtml(s.branch)} runs what the commit wants.</p>`;
  const body = rows
    .slice(0, limit)
    .map(
      (d) =>
        `<tr class="${d.state}" data-device="${escapeHtml(d.device)}"><td>${deviceCell(d, ui)}</td><td>${stateLabel(d.state)}</td><td>${deploymentCell(d, ui)}</td><td>${escapeHtml(d.why)}${
          d.logTail?.length ? `<pre>${escapeHtml(d.logTail.join('\n'))}</pre>` : ''
        }</td></tr>`,
    )
    .join('');
  const more = rows.length > limit ? `<p>… and ${rows.length - limit} more devices not converged.</p>` : '';
  return `<table class="devices"><thead><tr><th>device</th><th>state</th><th>deployment</th><th>why</th></tr></thead><tbody>${body}</tbody></table>${more}`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2328}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.n{text-align:right}tr.failed td:nth-child(2){color:#cf222e;font-weight:600}pre{margin:.3rem 0 0;font-size:.8rem;white-space:pre-wrap}
.verdict{font-size:1.1rem;font-weight:600}.success{color:#1a7f37}.failure{color:#cf222e}.pending{color:#9a6700}`;

export function renderHtml(snaps: Snapshot[], opts: HtmlOptions = {}): string {
  const first = snaps[0];
  const sections = snaps
    .map(
      (
        s,
      ) => `<section data-branch="${escapeHtml(s.branch)}"><h2>Stage ${escapeHtml(s.branch)} — commit <code>${escapeHtml(s.commit ?? 'unknown')}</code></h2>
<p class="verdict ${s.verdict.commitState}">${escapeHtml(s.verdict.summary)}</p>${countsTable(s)}
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
