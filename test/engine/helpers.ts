/** Test helpers: a temp fleet repo with a playbook and an inventory, run in-process. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunOptions, type RunResult } from '../../src/engine/run.js';

export const H1 = '5d2b1c3e-0000-4000-8000-00000000000a';
export const H2 = '5d2b1c3e-0000-4000-8000-00000000000b';
export const H3 = '5d2b1c3e-0000-4000-8000-00000000000c';

export const INVENTORY = `all:
  children:
    canary:
      hosts:
        ${H1}: {num: 1}
    production:
      hosts:
        ${H2}: {num: 2}
        ${H3}: {num: 3}
`;

/** Writes files (path → text) into a fresh temp dir and returns it. */
export function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-engine-'));
  for (const [p, text] of Object.entries({ 'inventory.yml': INVENTORY, ...files })) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

export async function play(
  playbook: string,
  opts: Partial<RunOptions> & { files?: Record<string, string> } = {},
): Promise<RunResult & { text: string; dir: string }> {
  const dir = repo({ 'site.yml': playbook, ...(opts.files ?? {}) });
  let text = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const r = await runPlaybook({
    playbook: join(dir, 'site.yml'),
    inventory: [join(dir, 'inventory.yml')],
    mode: 'run',
    stdout,
    recordResults: true,
    env: { PATH: process.env.PATH },
    ...opts,
  });
  return { ...r, text, dir };
}
