/**
 * The monitor and maintenance windows, against the embedded server on its manual clock: devices
 * whose update waits for their window are pending (the commit is not failed for it), with the
 * plan's why; once the window is open and the update run has written, they go on as usual.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testServer, type TestServer } from '../ota/helpers.js';
import {
  dev,
  fleetRepo,
  monitor,
  PLAYBOOK,
  SPEC,
  snapshotOf,
  stateOf,
  updateRun,
  type Repo,
} from '../monitor/helpers.js';

let srv: TestServer;
beforeEach(async () => {
  // Sunday 1 March 2026, 01:00 in Zurich.
  srv = await testServer({ spec: SPEC });
});
afterEach(() => srv.close());

/** The monitor tests' fleet with the window passed to mender_os_update and declared for canary. */
function windowed(repo: Repo, window: string): Repo {
  const files = {
    'site.yml': PLAYBOOK.replace(
      'artifact: "{{ os_image }}"',
      'artifact: "{{ os_image }}"\n        window: "{{ window | default(omit) }}"',
    ),
    'inventory/group_vars/canary.yml': `window: "${window}"\n`,
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(repo.dir, p, '..'), { recursive: true });
    writeFileSync(join(repo.dir, p), text);
  }
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo.dir, encoding: 'utf8' }).trim();
  git('add', '.');
  git('commit', '-qm', 'canary: maintenance window');
  return { dir: repo.dir, commit: git('rev-parse', 'HEAD') };
}

test('outside the window the waiting devices are pending with when it opens, not drift; inside, the run writes and they update', async () => {
  const repo = windowed(fleetRepo('os-1.1'), 'Mon-Fri 02:00-05:00 Europe/Zurich');
  const r = await updateRun(repo, srv);
  expect(r.exitCode).toBe(0);
  const before = await monitor(repo, srv, { json: true });
  // In progress (3), not failed (2).
  expect(before.code).toBe(3);
  expect([1, 2, 3, 4].map((n) => stateOf(before, n))).toEqual(['pending', 'pending', 'pending', 'pending']);
  expect(snapshotOf(before).devices.find((d) => d.device === dev(1))!.why).toBe(
    'outside its maintenance window Mon-Fri 02:00-05:00 Europe/Zurich; opens in 1d 1h (2026-03-02 02:00 CET)',
  );

  // Monday 02:00 in Zurich: the run writes, the devices are scheduled.
  await srv.admin('POST', 'clock/advance', { seconds: 25 * 3600 });
  expect((await updateRun(repo, srv)).exitCode).toBe(0);
  const scheduled = await monitor(repo, srv, { json: true });
  expect(snapshotOf(scheduled).devices.find((d) => d.device === dev(1))!.why).toMatch(
    /^os-1\.1: scheduled, not started/,
  );
});
