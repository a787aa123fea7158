/**
 * Maintenance windows in a run against the embedded server on its manual clock: the same fleet
 * outside its window is planned and not written (the plan says when the window opens), inside it
 * is written; across the spring-forward night in Europe/Zurich; a host's own window beats its
 * stage's; the plan, its markdown and the job summary say it.
 */
import { ExitCode } from '../../src/errors/index.js';
import { renderPlan } from '../../src/plan/index.js';
import { stageReport, summaryMarkdown } from '../../src/stage/summary.js';
import type { TestServer } from '../ota/helpers.js';
import {
  allVarsWithImage,
  DEV,
  fleetRepo,
  fleetServer,
  NAME,
  planned,
  runIn,
  serverWrites,
  type FleetRepo,
} from '../stage/helpers.js';

/** The devices following production: the production group, and the prototype by its default branch. */
const PRODUCTION = [DEV.legacy, DEV.hotspot, DEV.kioskCentral, DEV.runner, DEV.prototype];
const ZURICH_NIGHTS = 'Mon-Fri 02:00-05:00 Europe/Zurich';

let srv: TestServer;
let repo: FleetRepo;

async function fleetAt(start: string, window: string) {
  srv = await fleetServer({ start_time: start });
  repo = fleetRepo();
  repo.commit('production', {
    'inventory/group_vars/all.yml': `${allVarsWithImage('1.1.0')}window: "${window}"\n`,
  });
}

afterEach(async () => {
  await srv.close();
  repo.remove();
});

const advance = (seconds: number) => srv.admin('POST', 'clock/advance', { seconds });
const deploymentsCreated = async () =>
  (await serverWrites(srv)).filter((w) => w.method === 'POST' && /deployments\/deployments$/.test(w.path));

describe('a stage with a maintenance window', () => {
  it('outside it: planned, 0 writes, and the plan says when it opens; inside it: written; then a rerun writes nothing', async () => {
    // Monday 7 December 2026, 21:48 in Zurich.
    await fleetAt('2026-12-07T20:48:00Z', ZURICH_NIGHTS);
    const closed = await runIn(repo, srv);
    expect(closed.exitCode).toBe(ExitCode.ok);
    expect(await serverWrites(srv)).toEqual([]);
    const why =
      'outside its maintenance window Mon-Fri 02:00-05:00 Europe/Zurich; opens in 4h 12m (2026-12-08 02:00 CET)';
    const legacy = closed.report.plan.find((d) => d.device_id === DEV.legacy)!;
    expect(legacy.os).toEqual({
      action: 'window',
      from: 'fleet-os-1.0.0-raspberrypi2',
      to: 'fleet-os-1.1.0-raspberrypi2',
      opens: '2026-12-08T01:00:00.000Z',
      window: ZURICH_NIGHTS,
      why,
    });
    expect(planned(closed, 'os', 'window')).toEqual([...PRODUCTION].sort());
    expect(planned(closed, 'os', 'deploy')).toEqual([]);
    // The configuration waits too, its keys planned.
    expect(closed.report.plan.find((d) => d.device_id === DEV.runner)!.config).toMatchObject({
      action: 'window',
      added: expect.arrayContaining(['gharunner_account']),
      opens: '2026-12-08T01:00:00.000Z',
    });
    expect(closed.text).toContain(
      `  ${NAME.legacy} (6bfd5737…): OS fleet-os-1.0.0-raspberrypi2 → fleet-os-1.1.0-raspberrypi2 — ${why}`,
    );
    expect(closed.text).toMatch(/PLAN: .*, 5 outside their maintenance window, 0 unchanged/);
    expect(renderPlan({ schema: 'fleetplay.plan/1', devices: closed.report.plan }, 'markdown')).toContain(
      `| ${NAME.legacy} | \`${DEV.legacy}\` | fleet-os-1.0.0-raspberrypi2 → fleet-os-1.1.0-raspberrypi2 — ${why} |`,
    );
    const summary = summaryMarkdown(closed.report, stageReport(closed.report));
    expect(summary).toContain(
      '| updates outside the maintenance window (planned, not written) | 5 OS, 5 configuration |',
    );
    expect(summary).toContain(
      `| ${NAME.legacy} (\`${DEV.legacy}\`) | fleet-os-1.0.0-raspberrypi2 → fleet-os-1.1.0-raspberrypi2 — ${why} |`,
    );

    // 02:00 in Zurich: the same commit, the same fleet is written.
    await advance((4 * 60 + 12) * 60);
    const open = await runIn(repo, srv);
    expect(open.exitCode).toBe(ExitCode.ok);
    expect(planned(open, 'os', 'deploy')).toEqual(expect.arrayContaining(PRODUCTION));
    expect(planned(open, 'os', 'window')).toEqual([]);
    const created = await deploymentsCreated();
    expect(created.length).toBeGreaterThan(0);
    expect(created.flatMap((w) => (w.body as { devices: string[] }).devices)).toEqual(
      expect.arrayContaining(PRODUCTION),
    );

    const before = (await serverWrites(srv)).length;
    await runIn(repo, srv);
    expect((await serverWrites(srv)).length).toBe(before);
  });

  it('across the spring-forward night in Zurich: daily 02:00-03:00 does not open on 29 March, 0 writes; it opens on the 30th', async () => {
    // Saturday 28 March 2026, 23:30 UTC = Sunday 00:30 CET; at 01:00 UTC clocks go 02:00 → 03:00.
    await fleetAt('2026-03-28T23:30:00Z', 'daily 02:00-03:00 Europe/Zurich');
    const first = await runIn(repo, srv);
    const os = first.report.plan.find((d) => d.device_id === DEV.legacy)!.os;
    expect(os).toMatchObject({ action: 'window', opens: '2026-03-30T00:00:00.000Z' });
    expect(os.why).toContain('opens in 1d 0h (2026-03-30 02:00 CEST)');
    // 01:30 UTC: 03:30 CEST (02:30 CET by the winter offset, which a fixed-offset reading would call inside).
    await advance(2 * 3600);
    const night = await runIn(repo, srv);
    expect(planned(night, 'os', 'window')).toEqual([...PRODUCTION].sort());
    expect(await serverWrites(srv)).toEqual([]);
    // Monday 02:00 CEST.
    await advance(22 * 3600 + 30 * 60);
    const monday = await runIn(repo, srv);
    expect(planned(monday, 'os', 'deploy')).toEqual(expect.arrayContaining(PRODUCTION));
    expect((await deploymentsCreated()).length).toBeGreaterThan(0);
  });

  it("a group's window beats all's, a host's beats its group's: only the devices inside theirs are written", async () => {
    await fleetAt('2026-12-07T20:48:00Z', ZURICH_NIGHTS);
    repo.commit('production', {
      'inventory/group_vars/prototypes.yml': 'prototype: true\nwindow: "daily 20:00-21:00"\n',
      'inventory/host_vars/legacy-pi2.yml': `mender_device_id: ${DEV.legacy}\nwindow: ["Mon 20:00-22:00 UTC", "Sat,Sun 00:00-24:00"]\n`,
    });
    const r = await runIn(repo, srv);
    const inside: string[] = [DEV.legacy, DEV.prototype].sort();
    expect(planned(r, 'os', 'deploy')).toEqual(inside);
    expect(planned(r, 'os', 'window')).toEqual(PRODUCTION.filter((d) => !inside.includes(d)).sort());
    const created = await deploymentsCreated();
    expect(created.flatMap((w) => (w.body as { devices: string[] }).devices).sort()).toEqual(inside);
  });

  it('a bad window given with -e fails the hosts with what to write, and nothing is written', async () => {
    await fleetAt('2026-12-07T20:48:00Z', ZURICH_NIGHTS);
    const r = await runIn(repo, srv, {
      extraVars: { mender_server: srv.url, window: 'Mon-Fri 02:00-05:00 Europe/Zurch' },
    });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    expect(r.text).toContain('unknown time zone \\"Europe/Zurch\\"');
    expect(await serverWrites(srv)).toEqual([]);
  });
});
