/** The project's workflow files as data, for the tests that read them. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export type Json = Record<string, unknown>;
export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

export const DIR = join(process.cwd(), 'workflows');
export const text = (file: string) => readFileSync(join(DIR, file), 'utf8');
export const load = (file: string) => parse(text(file)) as Json;
export const jobs = (wf: Json) => wf.jobs as Record<string, Json & { steps: Step[] }>;
export const allSteps = (wf: Json): Step[] => Object.values(jobs(wf)).flatMap((j) => j.steps);
export const stepRunning = (wf: Json, command: string): Step => {
  const s = allSteps(wf).find((x) => x.run?.includes(command));
  if (!s) throw new Error(`no step runs ${command}`);
  return s;
};

/** The action a step uses, without its ref (`actions/checkout`), or undefined for a script. */
export const actionOf = (s: Step): string | undefined => s.uses?.split('@')[0];

/** A step's env without the `${{ ... }}` values (secrets, inputs): what runs the same anywhere. */
export const literalEnv = (s: Step): Record<string, string> =>
  Object.fromEntries(Object.entries(s.env ?? {}).filter(([, v]) => !String(v).includes('${{')));

/** How the runner runs a step's script (bash -e -o pipefail) in `dir`, with an `npx` that runs this checkout's built CLI for `npx fleetplay`. */
function stepProcess(step: Step, dir: string, env: Record<string, string>) {
  const cli = `"${process.execPath}" "${join(process.cwd(), 'dist/cli/main.js')}"`;
  writeFileSync(join(dir, 'npx'), `#!/bin/sh\n[ "$1" = fleetplay ] || exit 127\nshift\nexec ${cli} "$@"\n`, {
    mode: 0o755,
  });
  const output = join(dir, 'output');
  return {
    args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run ?? ''],
    options: { cwd: dir, env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_OUTPUT: output, ...env } },
    output: () => (existsSync(output) ? readFileSync(output, 'utf8') : ''),
  };
}

/** Runs a step's script as the runner does in `dir`, with `env`; what it wrote to $GITHUB_OUTPUT. */
export function runStep(step: Step, dir: string, env: Record<string, string>) {
  const p = stepProcess(step, dir, env);
  const r = spawnSync('bash', p.args, { ...p.options, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, output: p.output() };
}

/** As runStep, without blocking the event loop: for steps that talk to a server of the test's own. */
export async function runStepAsync(step: Step, dir: string, env: Record<string, string>) {
  const p = stepProcess(step, dir, env);
  const child = spawn('bash', p.args, p.options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, stdout, stderr, output: p.output() };
}
