/**
 * The plan model and its renderers against the embedded server and a real fleet repository: the
 * summary after PLAY RECAP, `fleetplay plan` in its three formats, secrets, folding, no writes.
 */
import { ExitCode } from '../../src/errors/index.js';
import { buildPlan, Plan, renderPlan, type PlanFormat } from '../../src/plan/index.js';
import { plan } from './helpers.js';
import { generatedDeviceId } from '../../src/server/index.js';
import { testServer, TOKEN } from '../ota/helpers.js';
import { allVarsWithImage, DEV, eachTestFleet, fleetRepo, runIn, SECRETS, serverWrites } from './../stage/helpers.js';

const fleet = eachTestFleet();
const FORMATS: PlanFormat[] = ['text', 'markdown', 'json'];
const RPI4_BUMP = 'OS fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4';

describe('the plan summary after PLAY RECAP', () => {
  it('a release bump on main shows kiosk-next by name and id with from → to and its configuration keys', async () => {
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') }, 'release 1.1.0');
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'dry-run' });
    expect(r.exitCode).toBe(ExitCode.ok);
    const summary = r.text.slice(r.text.indexOf('PLAY RECAP'));
    expect(summary).toContain(
      'PLAN: 7 devices: 1 to update OS, 1 to set configuration, 0 waiting, 0 failing, 0 unchanged, 6 on another stage',
    );
    const line = summary.split('\n').find((l) => l.startsWith('  kiosk-next'));
    expect(line).toBe(
      `  kiosk-next (854df144…): ${RPI4_BUMP}; config: +gharunner_enabled +kiosk_enabled +kiosk_url +monitoring_enabled +os_image`,
    );
    expect(r.text.indexOf('PLAN:')).toBeGreaterThan(r.text.indexOf('PLAY RECAP'));
    // Not a terminal here: no colour codes.
    expect(r.text).not.toContain('\x1b[');
  });

  it('a configuration change lists the keys changed, not their values', async () => {
    await runIn(fleet.repo, fleet.srv, { mode: 'run' });
    fleet.repo.commit('main', {
      'inventory/host_vars/kiosk-next.yml': [
        `mender_device_id: ${DEV.kioskNext}`,
        'kiosk_enabled: true',
        'kiosk_url: https://kiosk.example.org/moved',
        '',
      ].join('\n'),
    });
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'dry-run' });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(r.text).toMatch(/^ {2}kiosk-next \(854df144…\): config: ~kiosk_url$/m);
    expect(r.text).not.toContain('https://kiosk.example.org/moved');
    const p = r.report.plan.find((d) => d.host === 'kiosk-next');
    expect(p?.config).toMatchObject({ action: 'set', added: [], changed: ['kiosk_url'], removed: [] });
    expect(p?.os).toMatchObject({ action: 'none', to: 'fleet-os-1.0.0-raspberrypi4' });
  });
});

describe('fleetplay plan', () => {
  it('prints the plan in every format, never a secret value, and writes nothing', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const outs: Record<string, string> = {};
    for (const f of FORMATS) {
      const r = await plan(fleet.repo, fleet.srv.url, f);
      expect(r.code).toBe(ExitCode.ok);
      expect(r.err).toBe('');
      outs[f] = r.out;
    }
    expect(await serverWrites(fleet.srv)).toEqual([]);
    expect(outs.text).toMatch(
      /^PLAN: 7 devices: 5 to update OS, 5 to set configuration, 0 waiting, 0 failing, 0 unchanged, 2 on another stage$/m,
    );
    // Only the plan: no play output.
    expect(outs.text).not.toContain('PLAY RECAP');
    expect(outs.text).toContain(`gha-runner (4204953f…): ${RPI4_BUMP}; config: +gharunner_account`);
    expect(outs.text).toContain('+gharunner_token');
    expect(outs.markdown).toContain(
      `| gha-runner | \`${DEV.runner}\` | fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4 |`,
    );
    const json = Plan.extend({}).passthrough().parse(JSON.parse(outs.json));
    const runner = json.devices.find((d) => d.device_id === DEV.runner);
    expect(runner?.os).toMatchObject({
      action: 'deploy',
      from: 'fleet-os-1.0.0-raspberrypi4',
      to: 'fleet-os-1.1.0-raspberrypi4',
    });
    expect(runner?.config.action === 'set' && runner.config.added).toContain('gharunner_token');
    // Keys only: the values stay in report.json, for the monitor.
    expect(json.devices.filter((d) => d.config.action === 'set').map((d) => 'values' in d.config)).toEqual(
      Array(5).fill(false),
    );
    for (const f of FORMATS) {
      expect(outs[f]).not.toContain(SECRETS.GHRUNNER_TOKEN);
      expect(outs[f]).not.toContain(TOKEN);
    }
  });

  it('a failing run still prints its plan, and the play output goes to stderr', async () => {
    const r = await plan(fleet.repo, fleet.srv.url, 'text', { extra: { os_image: 'not-a-mapping' } });
    expect(r.code).not.toBe(ExitCode.ok);
    expect(r.err).toContain('PLAY RECAP');
    expect(r.out).toMatch(/^PLAN: /);
  });
});

describe('a large plan', () => {
  const N = 60;
  it(`folds past 50 changing devices and counts the rest (${N} named devices)`, async () => {
    const srv = await testServer({
      spec: {
        artifacts: ['1.0.0', '1.1.0'].map((v) => ({
          name: `fleet-os-${v}`,
          device_types_compatible: ['raspberrypi4'],
        })),
        generate: { count: N, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
      },
    });
    const repo = fleetRepo();
    try {
      const hosts = Array.from({ length: N }, (_, i) => `        pi-${String(i + 1).padStart(3, '0')}:`);
      const files: Record<string, string> = {
        'inventory/hosts.yml': ['all:', '  children:', '    production:', '      hosts:', ...hosts, ''].join('\n'),
        'inventory/group_vars/all.yml': 'subscribed_branch: production\nos_image:\n  raspberrypi4: fleet-os-1.1.0\n',
      };
      for (let i = 1; i <= N; i++)
        files[`inventory/host_vars/pi-${String(i).padStart(3, '0')}.yml`] =
          `mender_device_id: ${generatedDeviceId(i)}\n`;
      repo.git('rm', '-rq', 'inventory');
      repo.commit('production', files);
      const text = await plan(repo, srv.url, 'text');
      expect(text.code).toBe(ExitCode.ok);
      const lines = text.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^PLAN: ${N} devices: ${N} to update OS`));
      expect(lines.filter((l) => /^ {2}pi-\d{3} \(/.test(l))).toHaveLength(50);
      expect(lines.at(-1)).toBe('  … and 10 more devices');
      const md = await plan(repo, srv.url, 'markdown');
      expect(md.out).toContain('_… and 10 more devices_');
      expect(md.out.split('\n').filter((l) => l.startsWith('| pi-'))).toHaveLength(50);
      // JSON is for tools: every device, not folded.
      expect(Plan.parse(JSON.parse((await plan(repo, srv.url, 'json')).out)).devices).toHaveLength(N);
      expect(await serverWrites(srv)).toEqual([]);
    } finally {
      await srv.close();
      repo.remove();
    }
  }, 60_000);
});

describe('renderers', () => {
  it('show every decision kind from what the modules recorded', () => {
    const plan = buildPlan([
      { host: 'a', device_id: 'id-a', kind: 'os', action: 'deploy', from: 'x', to: 'y', why: '', abort: ['d1'] },
      { host: 'b', device_id: 'id-b', kind: 'os', action: 'abort', from: 'y', to: 'y', why: '', abort: ['d2'] },
      { host: 'c', device_id: 'id-c', kind: 'os', action: 'held', to: 'y', why: '', deployment: 'd3', failed_at: 't' },
      { host: 'd', device_id: 'id-d', kind: 'config', action: 'wait', why: '' },
      { host: 'e', device_id: 'id-e', kind: 'os', action: 'fail', to: 'y', why: 'no artifact' },
      { host: 'e', device_id: 'id-e', kind: 'config', action: 'deploy', from: { x: 1 }, to: {}, why: '' },
    ]);
    expect(plan.devices.map((d) => d.os.action)).toEqual([
      'abort-then-deploy',
      'abort-then-deploy',
      'held',
      'none',
      'fail',
    ]);
    const text = renderPlan(plan, 'text');
    expect(text).toContain(
      'PLAN: 5 devices: 2 to update OS, 1 to set configuration, 1 waiting, 1 failing, 1 held, 0 unchanged, 0 on another stage',
    );
    expect(text).toContain('  a (id-a): OS abort d1, then x → y\n');
    expect(text).toContain('  b (id-b): OS abort d2 (keeps y)\n');
    expect(text).toContain('  e (id-e): OS failed: no artifact; config: -x\n');
    expect(renderPlan(plan, 'text', { color: true })).toContain('\x1b[0;33m  a (id-a)');
  });
});
