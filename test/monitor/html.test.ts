/**
 * `--html`: the page a person opens, rendered by headless Chromium (./chromium.ts). The probe reads
 * what the browser laid out: visible text (innerText) and the drawn width of each chart segment.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testServer, type TestServer } from '../ota/helpers.js';
import { ensureChromium, probePage } from './chromium.js';
import { commitImage, dev, fleetRepo, monitor, snapshotOf, SPEC, updateRun } from './helpers.js';

const PROBE = `const text = document.body.innerText;
const segs = [...document.querySelectorAll('svg rect[data-state]')].map((r) => ({ state: r.dataset.state, width: r.getBoundingClientRect().width }));
const rows = [...document.querySelectorAll('table.devices tbody tr')].map((tr) => tr.innerText);
const external = [...document.querySelectorAll('[src],[href],link')].map((e) => e.getAttribute('src') || e.getAttribute('href'));
const links = [...document.querySelectorAll('table.devices a')].map((a) => ({ href: a.href, text: a.innerText, title: a.title }));
const titles = [...document.querySelectorAll('table.devices td:first-child [title]')].map((e) => e.innerText + ' = ' + e.title);
result = { text, segs, rows, external, links, titles, title: document.title };`;

interface Probe {
  text: string;
  segs: { state: string; width: number }[];
  rows: string[];
  external: (string | null)[];
  links: { href: string; text: string; title: string }[];
  titles: string[];
  title: string;
}

const render = (file: string): Probe => probePage<Probe>(file, PROBE);

describe('monitor --html in headless Chromium', () => {
  let srv: TestServer;
  beforeAll(() => ensureChromium(), 300_000);
  beforeEach(async () => {
    srv = await testServer({ spec: SPEC });
  });
  afterEach(() => srv.close());

  test('shows the commit, when it was taken, a chart of devices per state, and the failed devices with their log', async () => {
    const repo = commitImage(fleetRepo('os-1.1'), 'os-1.2-bad');
    await updateRun(repo, srv);
    await srv.admin('POST', 'clock/advance', { seconds: 45 });
    const file = join(mkdtempSync(join(tmpdir(), 'fleetplay-html-')), 'fleet-report.html');
    const r = await monitor(repo, srv, { wait: true, interval: '30s', html: file });
    expect(r.code).toBe(2);
    const seen = render(file);
    expect(seen.title).toBe('fleetplay — canary');
    expect(seen.external).toEqual([]);
    expect(seen.text).toContain(`Taken 2026-03-01T`);
    expect(seen.text).toContain(`for commit ${repo.commit}`);
    expect(seen.text).toMatch(/4 of 4 devices failed or drifted/);
    // The chart: one segment, failed, drawn across the whole bar.
    expect(seen.segs.map((s) => s.state)).toEqual(['failed']);
    expect(seen.segs[0].width).toBeGreaterThan(500);
    expect(seen.rows).toHaveLength(4);
    // Devices by inventory name with the id beside them (shortened; whole in the tooltip).
    const kiosk1 = seen.rows.find((r) => r.startsWith('kiosk-1'))!;
    expect(kiosk1).toMatch(
      /^kiosk-1 \(7a000000…\)\s+failed\s+[0-9a-f-]{36}\s+os-1.2-bad: deployment [0-9a-f-]{36} ended in failure/,
    );
    expect(kiosk1).toMatch(/Rolling back to os-1.0/);
    expect(seen.rows[0]).toMatch(/^7a000000-0000-4000-8000-000000000003\s+failed/);
    expect(seen.titles).toContain('kiosk-1 = 7a000000-0000-4000-8000-000000000001');
    expect(seen.titles).toContain('7a000000… = 7a000000-0000-4000-8000-000000000001');
    // The embedded server (http on 127.0.0.1) has no Mender UI: no links.
    expect(seen.links).toEqual([]);
  }, 120_000);

  test('a converging stage draws converged and pending segments in proportion', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    await srv.admin('PUT', 'devices/7a000000-0000-4000-8000-000000000001', { online: false });
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const file = join(mkdtempSync(join(tmpdir(), 'fleetplay-html-')), 'fleet-report.html');
    const r = await monitor(repo, srv, { html: file, offlineAfter: '2h' });
    expect(r.code).toBe(3);
    const seen = render(file);
    const width = Object.fromEntries(seen.segs.map((s) => [s.state, s.width]));
    expect(Object.keys(width).sort()).toEqual(['converged', 'pending']);
    expect(width.converged / width.pending).toBeCloseTo(3, 1);
    expect(seen.rows).toHaveLength(1);
    expect(seen.rows[0]).toMatch(/^kiosk-1 \(7a000000…\)\s+pending/);
  }, 120_000);

  test('with a Mender UI (--mender-ui, or mender_ui_url in the inventory), deployments and devices link to their UI pages', async () => {
    const repo = commitImage(fleetRepo('os-1.1'), 'os-1.2-bad');
    await updateRun(repo, srv);
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const file = join(mkdtempSync(join(tmpdir(), 'fleetplay-html-')), 'fleet-report.html');
    const r = await monitor(repo, srv, { html: file, json: true, menderUi: 'https://eu.hosted.mender.io/' });
    expect(r.code).toBe(2);
    const deployment = (n: number) => snapshotOf(r).devices.find((d) => d.device === dev(n))!.deployment!;
    const seen = render(file);
    const ui = 'https://eu.hosted.mender.io/ui';
    expect(seen.links).toContainEqual({
      href: `${ui}/deployments/finished?open=true&id=${deployment(1)}`,
      text: deployment(1),
      title: '',
    });
    expect(seen.links).toContainEqual({ href: `${ui}/devices?id=${dev(1)}`, text: '7a000000…', title: dev(1) });
    expect(seen.links).toContainEqual({ href: `${ui}/devices?id=${dev(3)}`, text: dev(3), title: dev(3) });
    expect(seen.links).toHaveLength(8);
    // The same from the inventory variable; `none` turns the links off.
    mkdirSync(join(repo.dir, 'inventory', 'group_vars'));
    writeFileSync(join(repo.dir, 'inventory', 'group_vars', 'all.yml'), 'mender_ui_url: https://mender.example.org\n');
    await monitor(repo, srv, { html: file });
    expect(render(file).links.filter((l) => l.href.startsWith('https://mender.example.org/ui/'))).toHaveLength(8);
    await monitor(repo, srv, { html: file, menderUi: 'none' });
    expect(render(file).links).toEqual([]);
  }, 120_000);
});
