/**
 * Runs one bad input through the real CLI entry (src/cli/main.ts `main`, what the bin calls) in a
 * fresh fleet repository, against the real embedded server, and reports what a user would see:
 * the exit code, stdout + stderr, and the writes the server received.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { fleetRepo, SECRETS, serverWrites, TOKEN } from '../stage/helpers.js';
import type { TestServer } from '../ota/helpers.js';
import type { Misbehaviour } from './ota-proxy.js';

export interface BadInput {
  name: string;
  /** What the user got wrong: a CLI flag, the environment, an inventory, vars, a template, a playbook. */
  kind: 'cli' | 'env' | 'inventory' | 'vars' | 'template' | 'playbook' | 'ota';
  /** Files written into the fleet repository (a copy of inventory/ and playbooks/) and committed on main. */
  files?: Record<string, string>;
  /** Files written but not committed (e.g. a directory given with -i). */
  loose?: Record<string, string>;
  /** fleetplay's arguments; default `run --mode run`. */
  args?: string[];
  /** Environment beyond PATH, the token, the secrets and MENDER_SERVER_URL. */
  env?: Record<string, string>;
  exit: number;
  /** What the output must say: the file and line or the flag, and what to write instead. */
  says: (string | RegExp)[];
  /** Strips this from the output before matching (paths of a temp dir). */
  strip?: string;
  /** How the OTA server breaks the contract (ota cases: test/bad-input/ota-proxy.ts). */
  ota?: Misbehaviour;
  /** What fleetplay did with this input before its message was fixed (issue 13's count of fixes). */
  was?: string;
}

export interface Outcome {
  code: number;
  out: string;
  writes: number;
}

/** Captures what the process writes to stdout and stderr while `f` runs. */
async function captured(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const streams = [process.stdout, process.stderr];
  const saved = streams.map((s) => s.write.bind(s));
  for (const s of streams) s.write = (chunk: string | Uint8Array) => ((out += String(chunk)), true);
  try {
    return { code: await f(), out };
  } finally {
    streams.forEach((s, i) => (s.write = saved[i]));
  }
}

/** `serverUrl`: where the run finds its OTA server (default the embedded one; a misbehaving proxy in front of it). */
export async function runBadInput(c: BadInput, srv: TestServer, serverUrl = srv.url): Promise<Outcome> {
  const repo = fleetRepo();
  const cwd = process.cwd();
  const env = { ...process.env };
  try {
    if (c.files) repo.commit('main', c.files, c.name);
    for (const [p, text] of Object.entries(c.loose ?? {})) {
      mkdirSync(dirname(join(repo.dir, p)), { recursive: true });
      writeFileSync(join(repo.dir, p), text);
    }
    const before = (await serverWrites(srv)).length;
    process.chdir(repo.dir);
    process.env = {
      PATH: env.PATH,
      MENDER_ACCESS_TOKEN: TOKEN,
      MENDER_SERVER_URL: serverUrl,
      ...SECRETS,
      ...c.env,
    };
    process.exitCode = undefined;
    const r = await captured(() => main(['node', 'fleetplay', ...(c.args ?? ['run', '--mode', 'run'])]));
    const writes = (await serverWrites(srv)).length - before;
    const out = r.out.split(`${repo.dir}/`).join('');
    return { code: r.code, out: c.strip ? out.split(c.strip).join('') : out, writes };
  } finally {
    process.chdir(cwd);
    process.env = env;
    process.exitCode = undefined;
    repo.remove();
  }
}
