/**
 * Which playbook a fleet repository runs: its own `playbooks/manage-fleet.yml` when it has one,
 * else the default playbook shipped in the fleetplay package (a repository made by `fleetplay
 * init` has no playbooks/ until it needs its own).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_PLAYBOOK = 'playbooks/manage-fleet.yml';

/** playbooks/manage-fleet.yml of the installed package (this file is dist/stage/ or src/stage/). */
export const SHIPPED_PLAYBOOK = fileURLToPath(new URL(`../../${DEFAULT_PLAYBOOK}`, import.meta.url));

export interface FleetPlaybook {
  path: string;
  /** Said once when the shipped playbook stands in for the repository's own. */
  note?: string;
}

/** `playbook` in `repoDir`; the default one falls back to the package's when the repository has none. */
export function fleetPlaybook(playbook: string, repoDir: string): FleetPlaybook {
  if (playbook !== DEFAULT_PLAYBOOK) return { path: resolve(repoDir, playbook) };
  const own = resolve(repoDir, DEFAULT_PLAYBOOK);
  if (existsSync(own)) return { path: own };
  return {
    path: SHIPPED_PLAYBOOK,
    note: `fleetplay: no ${DEFAULT_PLAYBOOK} in ${resolve(repoDir)}: running the default playbook of the fleetplay package (${SHIPPED_PLAYBOOK})\n`,
  };
}
