/**
 * The stage list of fleetplay.yml as `run`, `plan` and `monitor` read it, in a real fleet
 * repository against the embedded server: a branch that is no stage has nothing to do, `--branch`
 * naming no stage and a bad fleetplay.yml stop before any request, a configured stage runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { MONITOR_DEFAULTS, runMonitor } from '../../src/monitor/command.js';
import { plan } from '../plan/helpers.js';
import { DEV, eachTestFleet, runIn, TOKEN } from './helpers.js';

const fleet = eachTestFleet();

async function monitorIn(repoDir: string, url: string, branch?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runMonitor(
    {
      ...MONITOR_DEFAULTS,
      inventory: [join(repoDir, 'inventory')],
      playbook: join(repoDir, 'playbooks/manage-fleet.yml'),
      repo: repoDir,
      branch,
      server: url,
      wait: false,
      json: false,
    },
    {
      stdout: new Writable({ write: (c, _e, cb) => ((stdout += String(c)), cb()) }),
      stderr: new Writable({ write: (c, _e, cb) => ((stderr += String(c)), cb()) }),
      env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN },
    },
  );
  return { code, stdout, stderr };
}

describe('a branch that is not a stage', () => {
  it('checked out: run and monitor have nothing to do (exit 0), and ask the server nothing', async () => {
    fleet.repo.git('checkout', '-qb', 'feature/kiosk-url');
    const r = await runIn(fleet.repo, fleet.srv, { report: join(fleet.repo.dir, 'report.json') });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(r.text).toBe(
      'fleetplay: feature/kiosk-url is not a stage branch (main → canary → production, the default; fleetplay.yml changes it): nothing to do\n',
    );
    expect(r.skipped).toContain('nothing to do');
    expect(r.report).toMatchObject({ branch: 'feature/kiosk-url', exitCode: 0, errors: [], plan: [] });
    const m = await monitorIn(fleet.repo.dir, fleet.srv.url);
    expect(m).toEqual({
      code: ExitCode.ok,
      stdout: '',
      stderr: expect.stringContaining('feature/kiosk-url is not a stage branch') as string,
    });
    expect(await fleet.srv.requests()).toEqual([]);
  });

  it('named with --branch: a usage error that lists the stages, for run, plan and monitor alike', async () => {
    const r = await runIn(fleet.repo, fleet.srv, { branch: 'canry' });
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(r.text).toContain('ERROR! canry is not a stage branch (main → canary → production');
    expect(r.errors[0].hint).toBe(
      'name a stage (main, canary, production), or add canry to "stages:" in fleetplay.yml',
    );
    const p = await plan(fleet.repo, fleet.srv.url, 'text', { branch: 'canry' });
    expect(p.code).toBe(ExitCode.usage);
    expect(p.err).toContain('canry is not a stage branch');
    const m = await monitorIn(fleet.repo.dir, fleet.srv.url, 'canry');
    expect(m.code).toBe(ExitCode.usage);
    expect(m.stderr).toContain('ERROR! canry is not a stage branch');
    expect(await fleet.srv.requests()).toEqual([]);
  });
});

describe('fleetplay.yml', () => {
  it('adds a stage: a branch it names runs for the devices that follow it', async () => {
    // The qualification device follows main; here the team calls that stage "next".
    fleet.repo.commit('main', {
      'fleetplay.yml': 'stages: [next, canary, production]\n',
      'inventory/group_vars/qualification.yml': 'subscribed_branch: next\n',
    });
    fleet.repo.git('checkout', '-qb', 'next');
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'dry-run' });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(r.stage).toMatchObject({ branch: 'next', subscribed: 1 });
    expect(r.report.plan.filter((d) => !d.other_stage).map((d) => d.device_id)).toEqual([DEV.kioskNext]);
    // main is no stage any more.
    fleet.repo.checkout('main');
    expect((await runIn(fleet.repo, fleet.srv, { mode: 'dry-run' })).skipped).toContain(
      'main is not a stage branch (next → canary → production, ' + join(fleet.repo.dir, 'fleetplay.yml') + ')',
    );
  });

  it('when bad, stops run, plan and monitor with its file and line, before any request', async () => {
    writeFileSync(join(fleet.repo.dir, 'fleetplay.yml'), 'stages:\n  - main\n  - canary\n  - main\n');
    const where = `${join(fleet.repo.dir, 'fleetplay.yml')}:1:1: fleetplay.yml: stages: each stage once`;
    const r = await runIn(fleet.repo, fleet.srv, { report: join(fleet.repo.dir, 'report.json') });
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(r.text).toContain(`ERROR! ${where}`);
    expect(r.report.errors[0]).toMatchObject({ code: 'stages.invalid', line: 1 });
    const p = await plan(fleet.repo, fleet.srv.url, 'json');
    expect(p.code).toBe(ExitCode.usage);
    expect(p.err).toContain(where);
    const m = await monitorIn(fleet.repo.dir, fleet.srv.url);
    expect(m.code).toBe(ExitCode.usage);
    expect(m.stderr).toContain(where);
    expect(await fleet.srv.requests()).toEqual([]);
  });
});
