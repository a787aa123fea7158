/** `fleetplay plan` in-process for the plan tests. */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { planFleet } from '../../src/plan/command.js';
import type { PlanFormat } from '../../src/plan/index.js';
import { TOKEN } from '../ota/helpers.js';
import { SECRETS, type FleetRepo } from '../stage/helpers.js';

/** On the repository's checked-out branch (or `branch`); stdout and stderr kept apart. */
export async function plan(
  repo: FleetRepo,
  url: string,
  format: PlanFormat,
  o: { extra?: Record<string, unknown>; branch?: string } = {},
) {
  let out = '';
  let err = '';
  const code = await planFleet({
    playbook: join(repo.dir, 'playbooks/manage-fleet.yml'),
    inventory: [join(repo.dir, 'inventory')],
    cwd: repo.dir,
    format,
    branch: o.branch,
    extraVars: { mender_server: url, ...o.extra },
    env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS },
    stdout: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) }),
  });
  return { code, out, err };
}
