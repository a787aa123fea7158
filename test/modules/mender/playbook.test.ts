/**
 * The mender_* modules through the engine: a playbook run against the embedded server, then run
 * again (nothing to do), then after the devices converged; dry-run writes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunResult } from '../../../src/engine/run.js';
import type { RunMode } from '../../../src/modules/registry.js';
import '../../../src/modules/mender/index.js';
import { testServer, value, TOKEN, type TestServer } from '../../ota/helpers.js';
import { A, B, C, GHOST, SPEC } from './fleet.js';
import { tree } from '../../inventory/helpers.js';

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: facts from the OTA server
      mender_facts: {}
    - name: OS image
      mender_os_update:
        artifact: "{{ os_image }}"
    - name: device configuration
      mender_config:
        config:
          kiosk_enabled: "{{ num == 1 }}"
          kiosk_url: "https://kiosk.example/{{ num }}"
`;

function fleetRepo(hosts: string): string {
  return tree({
    'site.yml': PLAYBOOK,
    'inventory/hosts.yml': `all:\n  vars:\n    os_image: os-1.1\n  hosts:\n${hosts}`,
  });
}

describe('mender modules in a playbook run', () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await testServer({ spec: SPEC });
  });
  afterEach(() => srv.close());

  const run = async (dir: string, mode: RunMode): Promise<RunResult & { text: string }> => {
    let text = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    const r = await runPlaybook({
      playbook: join(dir, 'site.yml'),
      inventory: [join(dir, 'inventory')],
      mode,
      stdout,
      recordResults: true,
      env: { PATH: process.env.PATH, MENDER_SERVER_URL: srv.url, MENDER_ACCESS_TOKEN: TOKEN },
    });
    return { ...r, text };
  };
  const writes = async () =>
    (await srv.requests()).filter((r) => r.method !== 'GET' && !/filters\/search$|statistics\/list$/.test(r.path));
  const changed = (r: RunResult) => Object.values(r.recap).reduce((n, s) => n + s.changed, 0);

  test('schedules what differs, then nothing on the second run and after convergence', async () => {
    const dir = fleetRepo(`    ${A}: {num: 1}\n    ${B}: {num: 2}\n    ${C}: {num: 3}\n`);
    const first = await run(dir, 'run');
    expect(first.exitCode).toBe(0);
    const deps = value(await srv.client().listDeployments());
    expect(deps.filter((d) => d.type !== 'configuration').map((d) => [d.artifact_name, d.device_count])).toEqual([
      ['os-1.1', 2],
    ]);
    expect(deps.filter((d) => d.type === 'configuration').length).toBe(3);
    expect(first.report.plan.map((d) => [d.host, d.os])).toEqual([
      [A, { action: 'deploy', from: 'os-1.0', to: 'os-1.1', why: expect.any(String) }],
      [B, { action: 'none', to: 'os-1.1', why: expect.any(String) }],
      [C, { action: 'deploy', from: 'os-1.0', to: 'os-1.1', why: expect.any(String) }],
    ]);
    // Facts come from one search shared by the later tasks; the report counts every request.
    expect(first.report.api.byEndpoint['POST /api/management/v2/inventory/filters/search']).toBe(1);
    expect(first.report.api.byEndpoint['POST /api/management/v1/deployments/deployments']).toBe(1);
    expect(first.report.api.requests).toBe(Object.values(first.report.api.byEndpoint).reduce((a, b) => a + b, 0));

    await srv.admin('DELETE', 'requests');
    const second = await run(dir, 'run');
    expect([second.exitCode, changed(second)]).toEqual([0, 0]);
    expect(await writes()).toEqual([]);

    await srv.admin('POST', 'clock/advance', { seconds: 3600 });
    await srv.admin('DELETE', 'requests');
    const third = await run(dir, 'run');
    expect([third.exitCode, changed(third)]).toEqual([0, 0]);
    expect(await writes()).toEqual([]);
    const whys = third.report.plan.flatMap((d) => [d.os.why, d.config.why]);
    expect(whys.every((w) => /installed|reports the desired/.test(w ?? ''))).toBe(true);
  });

  test.each([
    [false, 1],
    [true, 2],
  ])(
    'mender_facts refresh: %s — inventory searches %i, deployments in flight and configurations read again',
    async (refresh, searches) => {
      const dir = fleetRepo(`    ${A}: {num: 1}\n    ${B}: {num: 2}\n`);
      writeFileSync(
        join(dir, 'site.yml'),
        `- hosts: all
  gather_facts: false
  tasks:
    - mender_facts: {config: false}
    - mender_os_update: {artifact: os-1.1}
    - mender_facts: {config: true, refresh: ${refresh}}
    - debug: {msg: "{{ mender.artifact_name }} {{ mender.deployments | map(attribute='artifact_name') | list }} {{ mender.config.configured | length }}"}
`,
      );
      await srv.client().setDeviceConfig(B, { kiosk_url: 'https://k' });
      await srv.admin('DELETE', 'requests');
      const r = await run(dir, 'run');
      expect(r.exitCode).toBe(0);
      const log = await srv.requests();
      expect(log.filter((x) => x.path.endsWith('/inventory/filters/search')).length).toBe(searches);
      expect(log.filter((x) => /deviceconfig\/configurations\/device\/[^/]+$/.test(x.path)).length).toBe(2);
      // Plan, then apply: both reads see the server as the plan found it; the deployment is sent after them.
      expect(r.text).toContain(`"msg": "os-1.0 [] 0"`);
      expect(r.text).toContain(`"msg": "os-1.1 [] 1"`);
      const post = log.findIndex((x) => x.method === 'POST' && x.path.endsWith('/deployments/deployments'));
      expect(post).toBe(log.length - 1);
      expect(r.text).toMatch(/APPLY \[1 write for 1 devices\][^]*PLAY RECAP/);
    },
  );

  test('dry-run reports what would change and writes nothing; an unknown device is unreachable, alone', async () => {
    const dir = fleetRepo(`    ${A}: {num: 1}\n    ${GHOST}: {num: 9}\n`);
    await srv.admin('DELETE', 'requests');
    const r = await run(dir, 'dry-run');
    expect(await writes()).toEqual([]);
    // As ansible for a host it cannot reach: exit code 4, the host unreachable (not failed).
    expect(r.exitCode).toBe(4);
    expect([r.recap[GHOST].unreachable, r.recap[GHOST].failed]).toEqual([1, 0]);
    expect(r.recap[A].failed).toBe(0);
    const plan = r.report.plan.find((d) => d.host === A);
    expect([plan?.os.action, plan?.config.action]).toEqual(['deploy', 'set']);
    expect(r.text).toContain(`device ${GHOST} is not known to the OTA server ${srv.url} (from MENDER_SERVER_URL)`);
  });

  test('a wrong token stops the run before any write', async () => {
    const dir = fleetRepo(`    ${A}: {num: 1}\n`);
    await srv.admin('DELETE', 'requests');
    let text = '';
    const r = await runPlaybook({
      playbook: join(dir, 'site.yml'),
      inventory: [join(dir, 'inventory')],
      mode: 'run',
      stdout: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }),
      env: { PATH: process.env.PATH, MENDER_SERVER_URL: srv.url, MENDER_ACCESS_TOKEN: 'wrong-token-123' },
    });
    expect(r.exitCode).not.toBe(0);
    expect(text).toMatch(/token wrong or lacking permission/);
    expect(text).not.toContain('wrong-token-123');
    expect(await writes()).toEqual([]);
  });

  test('an unreachable OTA server ends the run with exit code 4', async () => {
    const dir = fleetRepo(`    ${A}: {num: 1}\n`);
    const gone = await testServer({ spec: SPEC });
    const url = gone.url;
    await gone.close();
    let text = '';
    const r = await runPlaybook({
      playbook: join(dir, 'site.yml'),
      inventory: [join(dir, 'inventory')],
      mode: 'run',
      extraVars: { mender_api: { max_retries: 1, base_delay_ms: 1 } },
      stdout: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }),
      env: { PATH: process.env.PATH, MENDER_SERVER_URL: url, MENDER_ACCESS_TOKEN: TOKEN },
    });
    expect(r.exitCode).toBe(4);
    expect(r.recap[A].unreachable).toBe(1);
    expect(text).toMatch(/unreachable/);
  });
});
