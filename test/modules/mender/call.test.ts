/**
 * A Mender module (one bulk call for all hosts) gets its call prepared as a per-host module does
 * (src/engine/task.ts `prepare`): an argument templated to `omit` is left out, and the task's
 * `environment:` is the environment the module reads its OTA server and credentials from.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunResult } from '../../../src/engine/run.js';
import type { Vars } from '../../../src/template/index.js';
import '../../../src/modules/mender/index.js';
import { testServer, value, TOKEN, type TestServer } from '../../ota/helpers.js';
import { A, C, SPEC } from './fleet.js';
import { tree } from '../../inventory/helpers.js';

/** Hosts named apart from their device ids, so a wrong device_id cannot pass for the right one. */
const INVENTORY = `all:
  vars:
    ota_token: ${TOKEN}
  hosts:
    pi-a: {mender_device_id: ${A}, host_token: ${TOKEN}}
    imx-c: {mender_device_id: ${C}, host_token: wrong-token-456}
`;

const repo = (playbook: string) => tree({ 'site.yml': playbook, 'inventory/hosts.yml': INVENTORY });

const osPlaybook = (args: string, keywords = '') => `- hosts: all
  gather_facts: false
  tasks:
    - name: OS image
      mender_os_update:
        artifact: os-1.1
${args}${keywords}`;

async function run(
  srv: TestServer,
  playbook: string,
  env: NodeJS.ProcessEnv,
  extraVars?: Vars,
): Promise<RunResult & { text: string }> {
  const dir = repo(playbook);
  let text = '';
  await srv.admin('DELETE', 'requests');
  const r = await runPlaybook({
    playbook: join(dir, 'site.yml'),
    inventory: [join(dir, 'inventory')],
    mode: 'run',
    stdout: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }),
    env: { PATH: process.env.PATH, ...env },
    extraVars,
  });
  return { ...r, text };
}

/** The OS deployments the server was asked for: artifact and devices. */
async function osWrites(srv: TestServer): Promise<[string, string[]][]> {
  return (await srv.requests())
    .filter((q) => q.method === 'POST' && q.path.endsWith('/deployments/deployments'))
    .map((q) => {
      const b = q.body as { artifact_name: string; devices: string[] };
      return [b.artifact_name, [...b.devices].sort()];
    });
}

describe('a bulk module call is prepared as a per-host one', () => {
  const servers: TestServer[] = [];
  const server = async () => {
    const s = await testServer({ spec: SPEC });
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  test.each([
    ['device_id', '        device_id: "{{ nothing | default(omit) }}"\n'],
    ['retry_failed', '        retry_failed: "{{ x | default(omit) }}"\n'],
  ])('mender_os_update: %s templated to omit is as if absent', async (_arg, line) => {
    const withOmit = await server();
    const without = await server();
    const env = (s: TestServer) => ({ MENDER_SERVER_URL: s.url, MENDER_ACCESS_TOKEN: TOKEN });
    const omitted = await run(withOmit, osPlaybook(line), env(withOmit));
    const absent = await run(without, osPlaybook(''), env(without));
    expect(absent.exitCode).toBe(0);
    expect(await osWrites(without)).toEqual([['os-1.1', [A, C].sort()]]);
    expect(omitted.text).not.toContain('__omit_place_holder__');
    expect([omitted.exitCode, omitted.recap, await osWrites(withOmit)]).toEqual([
      absent.exitCode,
      absent.recap,
      await osWrites(without),
    ]);
  });

  test("mender_os_update: the task's environment: gives the module its token", async () => {
    const srv = await server();
    const env = { MENDER_SERVER_URL: srv.url, MENDER_ACCESS_TOKEN: 'wrong-token-123' };
    // Without environment: the run's token is refused and nothing is written.
    const refused = await run(srv, osPlaybook(''), env);
    expect(refused.exitCode).not.toBe(0);
    expect(await osWrites(srv)).toEqual([]);
    const keywords = '      environment:\n        MENDER_ACCESS_TOKEN: "{{ ota_token }}"\n';
    const r = await run(srv, osPlaybook('', keywords), env);
    expect(r.exitCode).toBe(0);
    expect(await osWrites(srv)).toEqual([['os-1.1', [A, C].sort()]]);
    expect(r.text).not.toContain(TOKEN);
  });

  test("mender_config: the play's environment: names the OTA server the module talks to", async () => {
    const srv = await server();
    const playbook = `- hosts: all
  gather_facts: false
  environment:
    MENDER_SERVER_URL: "{{ ota_url }}"
  tasks:
    - name: device configuration
      mender_config:
        config:
          kiosk_url: "https://kiosk.example/{{ inventory_hostname }}"
`;
    // The run's environment has the token only: the server comes from the play.
    const r = await run(srv, playbook, { MENDER_ACCESS_TOKEN: TOKEN }, { ota_url: srv.url });
    expect(r.exitCode).toBe(0);
    const puts = (await srv.requests()).filter((q) => q.method === 'PUT' && q.path.includes('/deviceconfig/'));
    expect(puts.map((q) => [q.path.split('/').pop(), q.body]).sort()).toEqual(
      [
        [A, { kiosk_url: 'https://kiosk.example/pi-a' }],
        [C, { kiosk_url: 'https://kiosk.example/imx-c' }],
      ].sort(),
    );
    const configs = value(await srv.client().listDeployments()).filter((d) => d.type === 'configuration');
    expect(configs.length).toBe(2);
  });

  test('hosts whose environment: differs are served by clients of their own', async () => {
    const srv = await server();
    const keywords = '      environment:\n        MENDER_ACCESS_TOKEN: "{{ host_token }}"\n';
    const r = await run(srv, osPlaybook('', keywords), { MENDER_SERVER_URL: srv.url });
    // imx-c's token is refused: the plan fails closed, nothing is written (pi-a was planned with its own token).
    expect(await osWrites(srv)).toEqual([]);
    expect(r.text).toContain('PLAN FAILED: nothing was written');
    expect([r.recap['pi-a'].changed, r.recap['pi-a'].failed]).toEqual([1, 0]);
    expect(r.recap['imx-c'].failed + r.recap['imx-c'].unreachable).toBe(1);
    expect(r.text).toMatch(/token wrong or lacking permission/);
  });
});
