/**
 * The typed plan where a run's decisions are not the modules' alone: devices on another stage, and
 * devices a run failed before a module decided (a configuration that is not a mapping, a device
 * the OTA server does not know). Real fleet repositories against the embedded server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyStats } from '../../src/engine/output.js';
import { ExitCode } from '../../src/errors/index.js';
import { plan } from './helpers.js';
import { z } from 'zod';
import { desiredFromReport } from '../../src/monitor/desired.js';
import { countPlan, DevicePlan, Plan } from '../../src/plan/index.js';
import { allVarsWithImage, DEV, eachTestFleet, runIn, SECRETS, serverWrites } from '../stage/helpers.js';

const fleet = eachTestFleet();
const TEMPLATE = 'playbooks/roles/desired_state/templates/device-config.json.j2';
/** Production's devices in the test server (the prototype ⑤ reports no branch: it follows group_vars/all.yml). */
const PRODUCTION = ['gha-runner', 'hotspot-wifi6', 'kiosk-central-station', 'legacy-pi2', 'prototype-desk'];

/** The plan summary: what follows PLAY RECAP's host lines. */
const summaryOf = (text: string) => text.slice(text.indexOf('PLAN: '));

describe('devices on another stage', () => {
  it('are their own category in text, markdown and json, not unchanged', async () => {
    const outs: Record<string, string> = {};
    for (const f of ['text', 'markdown', 'json'] as const) {
      const r = await plan(fleet.repo, fleet.srv.url, f, { branch: 'canary' });
      expect(r.code).toBe(ExitCode.ok);
      outs[f] = r.out;
    }
    const counts =
      '7 devices: 0 to update OS, 1 to set configuration, 0 waiting, 0 failing, 0 unchanged, 6 on another stage';
    expect(outs.text).toMatch(new RegExp(`^PLAN: ${counts}$`, 'm'));
    expect(outs.markdown).toContain(`\n${counts}\n`);
    const json = JSON.parse(outs.json) as Plan & { counts: ReturnType<typeof countPlan> };
    expect(json.counts).toMatchObject({ devices: 7, unchanged: 0, other_stage: 6 });
    const elsewhere = Plan.parse(json).devices.filter((d) => d.other_stage);
    expect(elsewhere.map((d) => d.host).sort()).toEqual([...PRODUCTION, 'kiosk-next'].sort());
    // Left alone: no decision of either kind.
    for (const d of elsewhere) expect([d.os, d.config]).toEqual([{ action: 'none' }, { action: 'none' }]);
    expect(Plan.parse(json).devices.find((d) => d.host === 'kiosk-campus')).toMatchObject({
      os: { action: 'none', to: 'fleet-os-1.0.0-raspberrypi3' },
      config: { action: 'set' },
    });
  });

  it('a stage no device follows still ends with its plan summary', async () => {
    writeFileSync(join(fleet.repo.dir, 'fleetplay.yml'), 'stages: [staging, main, canary, production]\n');
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'dry-run', branch: 'staging' });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(summaryOf(r.text)).toBe(
      'PLAN: 7 devices: 0 to update OS, 0 to set configuration, 0 waiting, 0 failing, 0 unchanged, 7 on another stage\n\n',
    );
    expect(r.stage).toMatchObject({ subscribed: 0, otherBranch: 7 });
  });
});

describe('a device failed before a module decided', () => {
  it('a configuration template that renders a list: every device of the stage is a config fail with why', async () => {
    fleet.repo.commit('production', {
      [TEMPLATE]: '["not", "a", "mapping", "{{ lookup(\'env\', \'GHRUNNER_TOKEN\') }}"]\n',
    });
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'run' });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    const failing = r.report.plan.filter((d) => d.config.action === 'fail');
    expect(failing.map((d) => d.host).sort()).toEqual(PRODUCTION);
    for (const d of failing) {
      expect(d.config).toEqual({
        action: 'fail',
        why: expect.stringMatching(/config_update\/tasks\/main\.yml:\d+: mender_config: config: /),
      });
      // The OS decision came before, and stays.
      expect(d.os).toMatchObject({ action: 'none', to: expect.stringMatching(/^fleet-os-1\.0\.0-/) });
    }
    const summary = summaryOf(r.text);
    expect(summary).toMatch(/^PLAN: 7 devices: 0 to update OS, 0 to set configuration, 0 waiting, 5 failing, /);
    expect(summary).toMatch(
      /^ {2}gha-runner \(4204953f…\): config failed: \S+main\.yml:\d+: mender_config: config: .*$/m,
    );
    expect(r.stage).toMatchObject({ failed: 5, subscribed: 0, otherBranch: 2 });
    expect(await serverWrites(fleet.srv)).toEqual([]);
    // The token the template reads never shows, not even in a failure's message.
    expect(r.text).not.toContain(SECRETS.GHRUNNER_TOKEN);
  });

  it('a device the OTA server does not know: config (and OS) fail with why, the others go on', async () => {
    const ghost = '0badc0de-0000-4000-8000-000000000001';
    fleet.repo.commit('production', {
      'inventory/hosts.yml': fleetHostsWith('ghost-kiosk'),
      'inventory/host_vars/ghost-kiosk.yml': `mender_device_id: ${ghost}\n`,
    });
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'dry-run' });
    // Unreachable as ansible says of a host it cannot reach (exit code 4); its plan still fails with why.
    expect(r.exitCode).toBe(ExitCode.otaUnreachable);
    const d = r.report.plan.find((p) => p.host === 'ghost-kiosk');
    expect(d).toMatchObject({ device_id: ghost, config: { action: 'fail' }, os: { action: 'fail' } });
    expect(d?.other_stage).toBeUndefined();
    expect(d?.config.action === 'fail' && d.config.why).toContain(`device ${ghost} is not known to the OTA server`);
    const summary = summaryOf(r.text);
    expect(summary).toMatch(/^PLAN: 8 devices: 0 to update OS, 5 to set configuration, 0 waiting, 1 failing, /);
    expect(summary).toMatch(
      /^ {2}ghost-kiosk \(0badc0de…\): failed: device 0badc0de-\S+ is not known to the OTA server/m,
    );
    expect(r.report.plan.find((p) => p.device_id === DEV.runner)?.config.action).toBe('set');
  });
});

describe('report.json carries the typed plan', () => {
  const tmp: string[] = [];
  const reportFile = () => {
    tmp.push(mkdtempSync(join(tmpdir(), 'fleetplay-report-')));
    return join(tmp[tmp.length - 1], 'report.json');
  };
  afterEach(() => tmp.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('run-report/3: one DevicePlan per device, secrets masked, read back by the monitor', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const file = reportFile();
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'run', report: file });
    expect(r.exitCode).toBe(ExitCode.ok);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(SECRETS.GHRUNNER_TOKEN);
    const raw = JSON.parse(text) as { schema: string; plan: unknown };
    expect(raw.schema).toBe('fleetplay.run-report/3');
    const plan = z.array(DevicePlan).parse(raw.plan);
    expect(plan.map((d) => d.host).sort()).toEqual([...PRODUCTION, 'kiosk-campus', 'kiosk-next'].sort());
    const runner = plan.find((d) => d.device_id === DEV.runner)!;
    expect(runner.os).toMatchObject({
      action: 'deploy',
      from: 'fleet-os-1.0.0-raspberrypi4',
      to: 'fleet-os-1.1.0-raspberrypi4',
    });
    expect(runner.config).toMatchObject({ action: 'set', changed: [], removed: [] });
    expect(runner.config.action === 'set' && runner.config.values?.gharunner_token).toBe('********');
    const desired = desiredFromReport(file);
    if (!desired.ok) throw new Error(desired.error.message);
    expect(desired.value.notSubscribed).toEqual(['kiosk-campus', 'kiosk-next']);
    expect(desired.value.devices.map((d) => d.host)).toEqual(PRODUCTION);
    expect(desired.value.devices.find((d) => d.device === DEV.runner)).toMatchObject({
      artifact: 'fleet-os-1.1.0-raspberrypi4',
      config: { keys: { gharunner_token: '********', os_image: 'fleet-os-1.1.0-raspberrypi4' } },
    });
  });

  it("a run-report/2 (the modules' raw entries) is still read by the monitor", () => {
    const file = reportFile();
    const os = { kind: 'os', action: 'deploy', from: 'os-1', to: 'os-2', why: 'wants os-2', task: 't' };
    const legacy = {
      schema: 'fleetplay.run-report/2',
      branch: 'canary',
      commit: null,
      recap: { a: emptyStats(), b: emptyStats(), c: { ...emptyStats(), failed: 1 } },
      devices: { a: 'id-a', b: 'id-b', c: 'id-c' },
      plan: [
        { host: 'a', device_id: 'id-a', ...os },
        { host: 'a', device_id: 'id-a', kind: 'config', action: 'deploy', to: { u: '2' }, why: 'w', task: 't' },
      ],
      results: [
        { action: 'mender_facts', hosts: { c: { status: 'failed', result: { msg: 'unknown' } }, a: { status: 'ok' } } },
      ],
    };
    writeFileSync(file, JSON.stringify(legacy));
    const desired = desiredFromReport(file);
    if (!desired.ok) throw new Error(desired.error.message);
    expect(desired.value.devices).toEqual([
      { host: 'a', device: 'id-a', artifact: 'os-2', why: 'wants os-2', config: { keys: { u: '2' } } },
      { host: 'c', device: 'id-c', why: 'unknown', planFailed: 'unknown' },
    ]);
    expect(desired.value.notSubscribed).toEqual(['b']);
  });
});

/** The sample hosts.yml with one more production host. */
function fleetHostsWith(host: string): string {
  const text = fleet.repo.git('show', 'production:inventory/hosts.yml');
  return text.replace('        gha-runner:', `        ${host}:\n        gha-runner:`);
}
