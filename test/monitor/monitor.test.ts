/**
 * `fleetplay monitor` against the embedded server: the manual clock walks canary's devices through
 * every state; the desired state comes from the commit (engine dry-run) or from the run's report.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';
import { MenderClient } from '../../src/ota/client.js';
import { commitImage, dev, fleetRepo, host, monitor, SPEC, snapshotOf, stateOf, updateRun } from './helpers.js';

describe('fleetplay monitor', () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await testServer({ spec: SPEC });
  });
  afterEach(() => srv.close());

  test('drift before the run; pending, in progress, converged as the clock moves; offline; not subscribed counted', async () => {
    const repo = fleetRepo('os-1.1');
    const before = await monitor(repo, srv, { json: true });
    expect(before.code).toBe(2);
    expect([1, 2, 3, 4].map((n) => stateOf(before, n))).toEqual(['drift', 'drift', 'drift', 'drift']);
    expect(snapshotOf(before).counts.not_subscribed).toBe(1);
    expect(snapshotOf(before).source).toBe('engine');
    expect(snapshotOf(before).commit).toBe(repo.commit);

    expect((await updateRun(repo, srv)).exitCode).toBe(0);
    await srv.admin('PUT', `devices/${dev(3)}`, { online: false });
    const scheduled = await monitor(repo, srv, { json: true });
    expect(scheduled.code).toBe(3);
    expect([1, 2, 3, 4].map((n) => stateOf(scheduled, n))).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect(snapshotOf(scheduled).devices.find((d) => d.device === dev(1))!.deployment).toMatch(/^[0-9a-f-]{36}$/);

    await srv.admin('POST', 'clock/advance', { seconds: 40 });
    const moving = await monitor(repo, srv, { json: true });
    expect(moving.code).toBe(3);
    expect(stateOf(moving, 1)).toBe('in_progress');
    expect(snapshotOf(moving).devices.find((d) => d.device === dev(1))!.why).toMatch(
      /downloading|installing|rebooting/,
    );

    await srv.admin('POST', 'clock/advance', { seconds: 2 * 3600 });
    const done = await monitor(repo, srv, { json: true, offlineAfter: '1h' });
    expect([1, 2, 4].map((n) => stateOf(done, n))).toEqual(['converged', 'converged', 'converged']);
    expect(stateOf(done, 3)).toBe('offline');
    expect(snapshotOf(done).devices.find((d) => d.device === dev(3))!.why).toMatch(/no check-in for 2h/);
    expect(snapshotOf(done).counts).toEqual({
      converged: 3,
      pending: 0,
      in_progress: 0,
      drift: 0,
      offline: 1,
      failed: 0,
      not_subscribed: 1,
    });
    // Device 3 still needs its update: not converged, so not green (exit 3, pending).
    expect(done.code).toBe(3);
    expect(snapshotOf(done).verdict).toMatchObject({
      commitState: 'pending',
      summary: '1 of 4 devices offline before converging (at most 0 may not converge)',
    });
  });

  test('--wait follows to convergence with few requests: bulk search, one deployment list, device lists of running deployments', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    await srv.admin('DELETE', 'requests');
    const r = await monitor(repo, srv, { wait: true, interval: '30s', timeout: '30m', report: undefined });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 converged, 1 not subscribed/);
    expect(r.stderr).toMatch(/\+\d+s .*pending/);
    const log = (await srv.requests()) as { method: string; path: string }[];
    const perDevice = log.filter((q) => /deployments\/devices\/|inventory\/devices\//.test(q.path));
    expect(perDevice).toEqual([]);
    // Configuration has no bulk read: one GET per managed device per look (only device 4 is managed).
    const configReads = log.filter((q) => q.path.includes('/deviceconfig/'));
    const looks = log.filter((q) => q.path.endsWith('/filters/search')).length;
    expect(configReads.length).toBeLessThanOrEqual(2 * looks);
  });

  test('--wait on a terminal: one coloured bar redrawn in place; NO_COLOR: the bar without colour; no terminal: a plain line per look', async () => {
    const repo = fleetRepo('os-1.1');
    await updateRun(repo, srv);
    const SGR = /\x1b\[\d+m/;
    const wait = { wait: true, interval: '30s', timeout: '30m' };
    const tty = await monitor(repo, srv, wait, {}, { tty: true });
    expect(tty.code).toBe(0);
    // The notice that no commit status is sent keeps a line of its own, before the bar.
    const notice = 'commit status fleetplay/canary not sent: GITHUB_TOKEN, GITHUB_REPOSITORY not known\n';
    expect(tty.stderr.startsWith(`${notice}\r[`)).toBe(true);
    const draws = tty.stderr.slice(notice.length).split('\r').filter(Boolean);
    expect(draws.length).toBeGreaterThanOrEqual(3);
    for (const d of draws) expect(d).toMatch(/^\[(\x1b\[\d+m|[#!>?.])+\] \d+% \d+\/4 settled.*\x1b\[K\n?$/);
    expect(draws[0]).toBe('[..............................] 0% 0/4 settled, 4 pending, 1 not subscribed\x1b[K');
    expect(draws.some((d) => d.includes('\x1b[33m>'))).toBe(true);
    // The last draw: all converged, in green; then the line is ended once.
    expect(draws.at(-1)).toBe(
      `[\x1b[32m${'#'.repeat(30)}\x1b[0m] 100% 4/4 settled (4 converged), 1 not subscribed\x1b[K\n`,
    );
    expect(tty.stderr).not.toMatch(/^\S+Z \+\d+s /m);
    expect(tty.stdout).not.toMatch(SGR);

    const plain = await monitor(repo, srv, wait, { NO_COLOR: '1' }, { tty: true });
    expect(plain.stderr).toBe(
      `${notice}\r[${'#'.repeat(30)}] 100% 4/4 settled (4 converged), 1 not subscribed\x1b[K\n`,
    );

    const lines = await monitor(repo, srv, wait);
    expect(lines.stderr).toMatch(
      /^commit status .* not known\n2026-03-01T\S+Z \+0s 4\/4 settled \(4 converged\), 1 not subscribed\n$/,
    );
    expect(lines.stderr).not.toMatch(/[\r\x1b]/);
  });

  test('--wait counts what has settled: converged and failed are settled, in progress and offline are not', async () => {
    const repo = fleetRepo('os-1.1');
    // Device 2's update will fail; device 3 goes silent before it picks its update up.
    await srv.admin('PUT', `devices/${dev(2)}`, { fail: true });
    await updateRun(repo, srv);
    await srv.admin('PUT', `devices/${dev(3)}`, { online: false });
    const wait = { wait: true, interval: '30s', timeout: '30m', offlineAfter: '5m', maxFailed: '2' };
    const lines = await monitor(repo, srv, wait);
    const looks = lines.stderr.split('\n').filter((l) => /^\S+Z \+\d+s /.test(l));
    expect(looks.length).toBeGreaterThanOrEqual(3);
    expect(looks[0]).toMatch(/ \+0s 0\/4 settled, 4 pending, 1 not subscribed$/);
    // Devices 1, 2 and 4 install while device 3 is still pending (not yet silent for 5 minutes)…
    expect(looks).toContainEqual(expect.stringMatching(/ 0\/4 settled, 1 pending, 3 in progress, 1 not subscribed$/));
    // … and a failed device has settled while others still move.
    expect(looks).toContainEqual(
      expect.stringMatching(/ 2\/4 settled \(1 converged, 1 failed\), .*(pending|in progress)/),
    );
    // The last look: 1 and 4 converged and 2 failed have settled; offline 3 may still converge by itself.
    expect(looks.at(-1)).toMatch(/ 3\/4 settled \(2 converged, 1 failed\), 1 offline, 1 not subscribed$/);
    expect(lines.code).toBe(0);

    const bar = await monitor(repo, srv, wait, { NO_COLOR: '1' }, { tty: true });
    const last = bar.stderr.split('\r').filter(Boolean).at(-1);
    // 30 cells: 15 converged, 8 failed (7.5 rounded), the 7 left offline; 75% = 3 of 4 settled.
    expect(last).toBe(
      `[${'#'.repeat(15)}${'!'.repeat(8)}${'?'.repeat(7)}] 75% 3/4 settled (2 converged, 1 failed), 1 offline, 1 not subscribed\x1b[K\n`,
    );
  });

  test('a bad release fails on canary: exit 2, failed devices with deployment id and log tail', async () => {
    const repo = commitImage(fleetRepo('os-1.1'), 'os-1.2-bad');
    await updateRun(repo, srv);
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const r = await monitor(repo, srv, { json: true });
    expect(r.code).toBe(2);
    const failed = snapshotOf(r).devices.filter((d) => d.state === 'failed');
    expect(failed.map((d) => d.device).sort()).toEqual([dev(1), dev(2), dev(3), dev(4)]);
    expect(failed[0].deployment).toMatch(/^[0-9a-f-]{36}$/);
    expect(failed[0].why).toMatch(/ended in failure/);
    expect(failed[0].logTail!.join('\n')).toMatch(/health check failed[\s\S]*Rolling back to os-1.0/);
    const text = await monitor(repo, srv);
    expect(text.stdout).toContain('log of kiosk-1 (7a000000-0000-4000-8000-000000000001) (deployment ');
    expect(text.stdout).toMatch(/log of 7a000000-0000-4000-8000-000000000003 \(deployment /);
    expect(text.stdout).toMatch(/4 of 4 devices failed or drifted \(at most 0 allowed\)/);
    expect((await monitor(repo, srv, { maxFailed: '100%' })).code).toBe(0);
  });

  test('from a run report; configuration drift when the device reports another configuration', async () => {
    const repo = fleetRepo('os-1.1');
    const report = join(mkdtempSync(join(tmpdir(), 'fleetplay-report-')), 'report.json');
    await updateRun(repo, srv, report);
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const ok = await monitor(repo, srv, { json: true, report });
    expect(snapshotOf(ok).source).toBe('report');
    expect(snapshotOf(ok).counts.converged).toBe(4);
    // Someone deploys another configuration to device 4 behind the repository's back.
    const c = new MenderClient({ url: srv.url, auth: { kind: 'token', token: TOKEN } });
    await c.setDeviceConfig(dev(4), { kiosk_url: 'https://evil.example/' });
    await c.deployDeviceConfig(dev(4), undefined);
    c.close();
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const drift = await monitor(repo, srv, { json: true, report });
    expect(stateOf(drift, 4)).toBe('drift');
    expect(snapshotOf(drift).devices.find((d) => d.device === dev(4))!.why).toMatch(/kiosk_url/);
    const engine = await monitor(repo, srv, { json: true });
    expect(stateOf(engine, 4)).toBe('drift');
    expect((JSON.parse(readFileSync(report, 'utf8')) as { commit: string }).commit).toBe(repo.commit);
  });

  test('names each device by its inventory name with its id beside it: table, --json, job summary', async () => {
    const repo = commitImage(fleetRepo('os-1.1'), 'os-1.2-bad');
    const report = join(mkdtempSync(join(tmpdir(), 'fleetplay-report-')), 'report.json');
    await updateRun(repo, srv, report);
    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    const summary = join(mkdtempSync(join(tmpdir(), 'fleetplay-summary-')), 'summary.md');
    writeFileSync(summary, '');
    for (const from of [{ report }, {}]) {
      const json = snapshotOf(await monitor(repo, srv, { json: true, ...from }));
      expect(json.devices.map((d) => [d.host, d.device])).toEqual(
        [1, 2, 3, 4].map((n) => [host(n), dev(n)]).sort((a, b) => a[0].localeCompare(b[0])),
      );
      const text = await monitor(repo, srv, { ...from }, { GITHUB_STEP_SUMMARY: summary });
      const rows = text.stdout.split('\n').filter((l) => /^\S.* {2}failed {2}/.test(l));
      expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual([
        dev(3),
        dev(4),
        'kiosk-1 (7a000000…)',
        'kiosk-2 (7a000000…)',
      ]);
    }
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain(`| kiosk-1 (\`${dev(1)}\`) | failed | \``);
    expect(md).toContain(`| \`${dev(3)}\` | failed | \``);
    expect(md).toContain(`<summary>log of kiosk-2 (${dev(2)})</summary>`);
  });

  test('bad options name the flag and what to write', async () => {
    const repo = fleetRepo('os-1.1');
    const r = await monitor(repo, srv, { timeout: 'soon' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--timeout soon: not a duration[\s\S]*hint: write a number with a unit/);
    const m = await monitor(repo, srv, { maxFailed: '150%' });
    expect(m.stderr).toMatch(/--max-failed 150%/);
    const ui = await monitor(repo, srv, { menderUi: 'hosted.mender.io' });
    expect(ui).toMatchObject({ code: 1, stdout: '' });
    expect(ui.stderr).toMatch(
      /--mender-ui hosted.mender.io is not an http\(s\) URL\n {2}hint: .*https:\/\/eu.hosted.mender.io/,
    );
  });
});
