/**
 * A fleet repository without playbooks/ runs the default playbook shipped in the package (and
 * says so once); its own playbooks/manage-fleet.yml wins when present. Real repository, real server.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { DEFAULT_PLAYBOOK, SHIPPED_PLAYBOOK } from '../../src/stage/index.js';
import { DEV, eachTestFleet, ROOT, runIn } from './helpers.js';

const fleet = eachTestFleet();

async function runDefault() {
  let err = '';
  const stderr = new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) });
  const r = await runIn(fleet.repo, fleet.srv, { playbook: DEFAULT_PLAYBOOK, mode: 'dry-run', stderr });
  return { ...r, err };
}

it('the package ships its playbook where the fallback looks', () => {
  expect(SHIPPED_PLAYBOOK).toBe(join(ROOT, 'playbooks/manage-fleet.yml'));
});

it('without playbooks/ the default playbook of the package runs, and says so in one line', async () => {
  rmSync(join(fleet.repo.dir, 'playbooks'), { recursive: true });
  fleet.repo.git('commit', '-qam', 'no playbooks of our own');
  const r = await runDefault();
  expect(r.exitCode).toBe(ExitCode.ok);
  expect(r.err).toBe(
    `fleetplay: no playbooks/manage-fleet.yml in ${fleet.repo.dir}: running the default playbook of the fleetplay package (${SHIPPED_PLAYBOOK})\n`,
  );
  expect(r.report.playbook).toBe(SHIPPED_PLAYBOOK);
  // The shipped roles ran: the configuration of the device following main is planned.
  expect(r.report.plan.filter((d) => !d.other_stage).map((d) => [d.device_id, d.config.action])).toEqual([
    [DEV.kioskNext, 'set'],
  ]);
});

it("the repository's own playbooks/manage-fleet.yml wins, without a note", async () => {
  fleet.repo.commit('canary', {
    'playbooks/manage-fleet.yml': [
      '- name: Our own fleet playbook',
      '  hosts: canary',
      '  gather_facts: false',
      '  tasks:',
      '    - debug: {msg: "the repository\'s own playbook"}',
      '',
    ].join('\n'),
  });
  const r = await runDefault();
  expect(r.exitCode).toBe(ExitCode.ok);
  expect(r.err).toBe('');
  expect(r.report.playbook).toBe(join(fleet.repo.dir, DEFAULT_PLAYBOOK));
  expect(r.text).toContain('PLAY [Our own fleet playbook]');
  expect(r.text).toContain("the repository's own playbook");
});
