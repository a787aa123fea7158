// (helper, not a bench) The benches' fleet repository: every device in production, half of them
// in each hardware group, one artifact for both, a git repository on branch production.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TYPES = ['raspberrypi4', 'raspberrypi3'];

/** A new repository of `ids` with `playbooks` (a folder) copied in, pointing at `url`, wanting `artifact`; committed. */
export function fleetRepo({ ids, url, artifact, playbooks, prefix = 'fleetplay-bench-repo-', message = 'fleet' }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(playbooks, join(dir, 'playbooks'), { recursive: true });
  mkdirSync(join(dir, 'inventory/group_vars'), { recursive: true });
  const hosts = (pick) =>
    ids
      .filter((_, i) => pick(i))
      .map((id) => `        ${id}:`)
      .join('\n');
  const lines = ['all:', '  children:', '    production:', '      hosts:', hosts(() => true)];
  TYPES.forEach((t, k) =>
    lines.push(
      `    ${t}:`,
      `      vars: {device_type: ${t}}`,
      '      hosts:',
      hosts((i) => i % TYPES.length === k),
    ),
  );
  writeFileSync(join(dir, 'inventory/hosts.yml'), lines.join('\n') + '\n');
  writeFleetVars(dir, url, artifact);
  execFileSync('git', ['init', '-q', '-b', 'production'], { cwd: dir });
  commitAll(dir, message);
  return dir;
}

/** group_vars/all.yml: the server, the stage, `artifact` for every device type, the kiosk feature on. */
export function writeFleetVars(dir, url, artifact) {
  const images = TYPES.map((t) => `  ${t}: ${artifact}`).join('\n');
  writeFileSync(
    join(dir, 'inventory/group_vars/all.yml'),
    `mender_server: ${url}\nsubscribed_branch: production\nos_image:\n${images}\nkiosk_enabled: true\nkiosk_url: https://kiosk.example.org/{{ inventory_hostname }}\n`,
  );
}

export function commitAll(dir, msg) {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@example.org',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@example.org',
  };
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', msg], { cwd: dir, env });
}
