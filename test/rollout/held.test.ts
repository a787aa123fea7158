/**
 * Held devices against the embedded server: a device whose deployment of the wanted image failed
 * is not deployed again by a rerun; the plan (text, markdown, job summary) lists it with the
 * command that retries it; `-e retry_failed=true --limit HOST` retries that device and no other.
 */
import { ExitCode } from '../../src/errors/index.js';
import { renderPlan } from '../../src/plan/index.js';
import { stageReport, summaryMarkdown } from '../../src/stage/summary.js';
import { allVarsWithImage, DEV, eachTestFleet, NAME, planned, runIn, serverWrites } from '../stage/helpers.js';

const fleet = eachTestFleet();
const creates = async () =>
  (await serverWrites(fleet.srv)).filter((w) => w.method === 'POST' && /deployments\/deployments$/.test(w.path));
const devicesOf = (ws: { body: unknown }[]) => ws.flatMap((w) => (w.body as { devices: string[] }).devices).sort();

describe('held devices', () => {
  it('are listed by the plan with how to retry, and retried only when asked, one by --limit', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    for (const d of [DEV.legacy, DEV.hotspot]) await fleet.srv.admin('PUT', `devices/${d}`, { fail: true });
    expect((await runIn(fleet.repo, fleet.srv)).exitCode).toBe(ExitCode.ok);
    const first = (await creates()).length;
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 3600 });

    const rerun = await runIn(fleet.repo, fleet.srv);
    expect(rerun.exitCode).toBe(ExitCode.ok);
    expect(await creates()).toHaveLength(first);
    expect(planned(rerun, 'os', 'held')).toEqual([DEV.legacy, DEV.hotspot].sort());
    const legacy = rerun.report.plan.find((d) => d.device_id === DEV.legacy)!.os;
    expect(legacy).toMatchObject({
      action: 'held',
      to: 'fleet-os-1.1.0-raspberrypi2',
      retry: 'fleetplay run -e retry_failed=true',
      failed_at: expect.stringMatching(/^\d{4}-/),
    });
    const failedAt = legacy.action === 'held' ? legacy.failed_at : '';
    const retry = `retry with \`fleetplay run -e retry_failed=true --limit ${NAME.legacy}\``;
    const cell = `held: the deployment of fleet-os-1.1.0-raspberrypi2 failed at ${failedAt}; ${retry}`;
    expect(rerun.text).toMatch(/PLAN: .*, 2 held, /);
    expect(rerun.text).toContain(`  ${NAME.legacy} (6bfd5737…): OS ${cell}`);
    const plan = { schema: 'fleetplay.plan/1' as const, devices: rerun.report.plan };
    expect(renderPlan(plan, 'markdown')).toContain(`| ${NAME.legacy} | \`${DEV.legacy}\` | ${cell} |`);
    const summary = summaryMarkdown(rerun.report, stageReport(rerun.report));
    expect(summary).toContain('| held after a failed update (retry: `fleetplay run -e retry_failed=true`) | 2 |');
    expect(summary).toContain(`| ${NAME.legacy} (\`${DEV.legacy}\`) | ${cell} |`);

    const one = await runIn(fleet.repo, fleet.srv, {
      extraVars: { mender_server: fleet.srv.url, retry_failed: true },
      limit: NAME.legacy,
    });
    expect(one.exitCode).toBe(ExitCode.ok);
    expect(devicesOf((await creates()).slice(first))).toEqual([DEV.legacy]);
    // The other stays held.
    const after = await runIn(fleet.repo, fleet.srv);
    expect(planned(after, 'os', 'held')).toEqual([DEV.hotspot]);
    expect(devicesOf((await creates()).slice(first))).toEqual([DEV.legacy]);
  });
});
