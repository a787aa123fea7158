/**
 * Plan, then apply (`fleetplay run --mode run`): the sample fleet repository and the embedded
 * server. A failure anywhere in the plan phase — in a task after the OS update too — writes
 * nothing; an allowance (max_fail_percentage, --max-failed) writes for the other devices only; a
 * device the server does not know is unreachable and does not stop the others. Writes are counted
 * from the server's own request log (GET /api/admin/v1/requests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { allVarsWithImage, DEV, eachTestFleet, NAME, runIn, serverWrites, TOKEN, type Run } from '../stage/helpers.js';

const fleet = eachTestFleet();
/** The devices that follow production: its group, and the prototype by the branch it reports. */
const PRODUCTION = [DEV.legacy, DEV.hotspot, DEV.kioskCentral, DEV.runner, DEV.prototype];

/** Every request the server answered (reads too), from its own log. */
const allRequests = async () => fleet.srv.requests();

/** A file of the sample repository as it is, with `edit` applied. */
const edited = (path: string, edit: (text: string) => string) => edit(readFileSync(join(fleet.repo.dir, path), 'utf8'));

/** Production, releasing 1.1.0 (an OS deployment planned for every device) with `files` changed too. */
function release(files: Record<string, string> = {}): void {
  fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0'), ...files });
}

/** Rejects a device's authentication on the server (as an operator in the Mender UI), then forgets the requests. */
async function reject(id: string): Promise<void> {
  const api = `${fleet.srv.url}/api/management/v2/devauth/devices`;
  const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
  const dev = (await (await fetch(`${api}/${id}`, { headers })).json()) as { auth_sets: { id: string }[] };
  const res = await fetch(`${api}/${id}/auth/${dev.auth_sets[0].id}/status`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ status: 'rejected' }),
  });
  expect(res.status).toBe(204);
  await fleet.srv.admin('DELETE', 'requests');
}

/** The inventory name of a device id (the report's host → id map). */
const nameOf = (r: Run, id: string) => Object.keys(r.recap).find((h) => r.report.devices?.[h] === id) ?? id;

const failedNames = (r: Run) =>
  Object.entries(r.recap)
    .filter(([, s]) => s.failed > 0)
    .map(([h]) => h)
    .sort();

/**
 * The run failed closed: exit code 2, PLAN FAILED, every failed host listed below it with the
 * file:line of its failing task, and no write reached the server.
 */
async function expectFailedClosed(r: Run, failed: string[], where: RegExp): Promise<void> {
  expect(await serverWrites(fleet.srv)).toEqual([]);
  expect(r.exitCode).toBe(ExitCode.hostFailed);
  expect(failedNames(r)).toEqual([...failed].sort());
  expect(r.text).toContain('PLAN FAILED: nothing was written');
  const listing = r.text.slice(r.text.indexOf('PLAN FAILED: nothing was written'));
  for (const host of failed) {
    const line = listing.split('\n').find((l) => l.includes(`${host}:`));
    expect(line).toMatch(where);
  }
  expect(r.text).not.toContain('APPLY [');
  expect(r.report.apply).toMatchObject({ applied: false, devices: 0 });
  expect(r.report.plan.filter((p) => p.apply && p.apply.status !== 'not-sent')).toEqual([]);
}

describe('plan, then apply: a failure in the plan writes nothing', () => {
  it('(a) a configuration template that renders invalid JSON', async () => {
    const template = 'playbooks/roles/desired_state/templates/device-config.json.j2';
    release({
      [template]: edited(template, (t) =>
        t.replace('| to_json }},\n  "kiosk_enabled"', '| to_json }}\n  "kiosk_enabled"'),
      ),
    });
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    // The OS deployments were planned before the configuration task failed; none was sent.
    expect(r.report.plan.filter((p) => p.os.action === 'deploy').length).toBe(PRODUCTION.length);
    await expectFailedClosed(
      r,
      PRODUCTION.map((id) => nameOf(r, id)),
      /config_update\/tasks\/main\.yml:\d+.*config/,
    );
  });

  it('(b) a Jinja syntax error in a task after the OS update', async () => {
    const tasks = 'playbooks/roles/config_update/tasks/main.yml';
    release({
      [tasks]: edited(tasks, (t) => `${t}\n- name: Say what was scheduled\n  debug:\n    msg: "{{ mender.id | }}"\n`),
    });
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    expect(r.report.plan.filter((p) => p.os.action === 'deploy').length).toBe(PRODUCTION.length);
    await expectFailedClosed(
      r,
      PRODUCTION.map((id) => nameOf(r, id)),
      /config_update\/tasks\/main\.yml:\d+/,
    );
  });

  it('(c) a bad module argument in a later task', async () => {
    const tasks = 'playbooks/roles/config_update/tasks/main.yml';
    release({ [tasks]: edited(tasks, (t) => t.replace('  mender_config:\n', '  mender_config:\n    colour: red\n')) });
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    await expectFailedClosed(
      r,
      PRODUCTION.map((id) => nameOf(r, id)),
      /config_update\/tasks\/main\.yml:\d+.*colour/,
    );
  });

  it('(d) an unwritable --report (a directory): a clear error before the first request', async () => {
    release();
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production', report: fleet.repo.dir });
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(r.text).toContain(`--report ${fleet.repo.dir}: is a directory`);
    expect(r.text).toContain(`--report ${join(fleet.repo.dir, 'report.json')}`);
    expect(await allRequests()).toEqual([]);
  });

  it('(d) a --report in a missing folder: the same, naming the folder', async () => {
    release();
    const path = join(fleet.repo.dir, 'no-such-dir', 'report.json');
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production', report: path });
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(r.text).toContain(`the folder ${join(fleet.repo.dir, 'no-such-dir')} does not exist`);
    expect(await allRequests()).toEqual([]);
  });

  it('(e) a secret missing for one host', async () => {
    release();
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production', envOverride: { GHRUNNER_TOKEN: '' } });
    await expectFailedClosed(r, [NAME.runner], /desired_state\/tasks\/main\.yml:\d+.*GHRUNNER_TOKEN is empty/);
  });
});

describe('plan, then apply: an allowance writes for the other devices only', () => {
  /** Writes went for every production device but the runner, and none named the runner. */
  async function expectOthersWritten(r: Run): Promise<void> {
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    expect(failedNames(r)).toEqual([NAME.runner]);
    const writes = await serverWrites(fleet.srv);
    expect(writes.filter((w) => JSON.stringify(w).includes(DEV.runner))).toEqual([]);
    const deployed = writes.filter((w) => w.method === 'POST' && w.path.endsWith('/deployments/deployments'));
    const devices = deployed.flatMap((w) => (w.body as { devices: string[] }).devices).sort();
    expect(devices).toEqual(PRODUCTION.filter((d) => d !== DEV.runner).sort());
    expect(r.text).toMatch(/APPLY \[\d+ writes? for 4 devices\][^]*PLAY RECAP/);
    expect(r.text).not.toContain('PLAN FAILED');
    expect(r.report.apply).toMatchObject({ applied: true, devices: 4, failed: {} });
    const os = r.report.plan.filter((p) => p.os.action === 'deploy');
    expect(os.map((p) => p.apply?.status)).toEqual(os.map(() => 'sent'));
  }

  /** The sample playbook with max_fail_percentage on its play, run without GHRUNNER_TOKEN. */
  async function runWithoutRunnerSecret(pct: number): Promise<Run> {
    const play = 'playbooks/manage-fleet.yml';
    const withPct = (t: string) =>
      t.replace('  gather_facts: false\n', `  gather_facts: false\n  max_fail_percentage: ${pct}\n`);
    release({ [play]: edited(play, withPct) });
    return runIn(fleet.repo, fleet.srv, { branch: 'production', envOverride: { GHRUNNER_TOKEN: '' } });
  }

  it('(f) max_fail_percentage on the play', async () => {
    const r = await runWithoutRunnerSecret(15);
    await expectOthersWritten(r);
  });

  it('(f) max_fail_percentage (10) below the share (1 of 7 hosts) that failed still writes nothing', async () => {
    const r = await runWithoutRunnerSecret(10);
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    // As ansible: the play stops at the failure, before any write was even planned.
    expect(r.text).toContain('NO MORE HOSTS LEFT');
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });

  it('(f) --max-failed 1', async () => {
    release();
    const r = await runIn(fleet.repo, fleet.srv, {
      branch: 'production',
      envOverride: { GHRUNNER_TOKEN: '' },
      maxFailed: { kind: 'count', n: 1 },
    });
    await expectOthersWritten(r);
  });
});

describe('plan, then apply: unreachable devices', () => {
  it('(g) a device the server does not know is unreachable; the others are written', async () => {
    const ghost = '0badc0de-0000-4000-8000-000000000002';
    release({
      'inventory/hosts.yml': edited('inventory/hosts.yml', (t) =>
        t.replace('    production:\n      hosts:\n', `    production:\n      hosts:\n        ${ghost}:\n`),
      ),
    });
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    expect(r.exitCode).toBe(ExitCode.otaUnreachable);
    expect(r.recap[ghost]).toMatchObject({ unreachable: 1, failed: 0 });
    expect(r.text).toContain(`fatal: [${ghost}]: UNREACHABLE!`);
    expect(r.text).not.toContain('PLAN FAILED');
    const writes = await serverWrites(fleet.srv);
    expect(writes.filter((w) => JSON.stringify(w).includes(ghost))).toEqual([]);
    const deployed = writes.filter((w) => w.method === 'POST' && w.path.endsWith('/deployments/deployments'));
    expect(deployed.flatMap((w) => (w.body as { devices: string[] }).devices).sort()).toEqual([...PRODUCTION].sort());
  });

  it('a device the server has not accepted is unreachable too', async () => {
    release();
    await reject(DEV.legacy);
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    expect(r.recap[NAME.legacy]).toMatchObject({ unreachable: 1, failed: 0 });
    expect(r.text).toContain(`device ${DEV.legacy} is rejected on the OTA server`);
    const writes = await serverWrites(fleet.srv);
    expect(writes.filter((w) => JSON.stringify(w.body ?? '').includes(DEV.legacy))).toEqual([]);
  });
});

describe('plan, then apply: the apply phase', () => {
  /** A last task of the sample playbook: each device joins its stage's group, a write `uri` defers. */
  const joinGroup = (expect204Unless: string) => `
- name: Join the stage's group
  uri:
    url: "{{ mender_server }}/api/management/v1/inventory/devices/{{ mender.id }}/group"
    method: PUT
    headers: {Authorization: "Bearer {{ lookup('env', 'MENDER_ACCESS_TOKEN') }}"}
    body_format: json
    body: {group: production}
    status_code: "{{ 299 if inventory_hostname == '${expect204Unless}' else 204 }}"
`;

  it('a write that fails in the apply phase fails its host; the next run plans from what was sent', async () => {
    const tasks = 'playbooks/roles/config_update/tasks/main.yml';
    release({ [tasks]: edited(tasks, (t) => t + joinGroup(NAME.runner)) });
    const first = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    expect(first.exitCode).toBe(ExitCode.hostFailed);
    expect(failedNames(first)).toEqual([NAME.runner]);
    expect(first.text).toMatch(
      new RegExp(
        `APPLY \\[\\d+ writes for 5 devices\\][^]*fatal: \\[${NAME.runner}\\]: FAILED! => .*Status code was 204 and not \\[299\\]`,
      ),
    );
    expect(first.report.apply?.failed[NAME.runner]).toMatch(/Status code was 204/);
    // Writes go in task order: the runner's OS and configuration were sent before its group write failed.
    const deployed = (await serverWrites(fleet.srv)).filter(
      (w) => w.method === 'POST' && w.path.endsWith('/deployments/deployments'),
    );
    expect(deployed.flatMap((w) => (w.body as { devices: string[] }).devices).sort()).toEqual([...PRODUCTION].sort());

    // The next run reads what the first one sent: deployments in flight are waited for, nothing twice.
    await fleet.srv.admin('DELETE', 'requests');
    release({ [tasks]: edited(tasks, (t) => t.slice(0, t.indexOf("\n- name: Join the stage's group"))) });
    const second = await runIn(fleet.repo, fleet.srv, { branch: 'production' });
    expect(second.exitCode).toBe(ExitCode.ok);
    expect(await serverWrites(fleet.srv)).toEqual([]);
    expect(second.report.plan.filter((p) => PRODUCTION.includes(p.device_id as never)).map((p) => p.os.action)).toEqual(
      PRODUCTION.map(() => 'wait'),
    );
  });
});
