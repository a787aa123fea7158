/** `fleetplay init [DIR] [--force]`: a new fleet repository (src/init/scaffold.ts) and what to do next. */
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import { printDiagnostic } from '../log/index.js';
import { initFleet, type InitResult } from './scaffold.js';

export interface InitIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function runInit(dir: string, force: boolean, io: InitIo): number {
  const r = initFleet(dir, { force });
  if (!r.ok) {
    printDiagnostic(io.stderr, r.error, { prefix: 'ERROR! ', env: io.env });
    return ExitCode.usage;
  }
  io.stdout.write(report(r.value, io.cwd));
  return ExitCode.ok;
}

/** The files written, then the next three steps. */
function report(r: InitResult, cwd: string): string {
  // A path that climbs out of the working directory reads better absolute.
  const rel = relative(cwd, r.dir);
  const where = rel.startsWith('..') || isAbsolute(rel) ? r.dir : rel;
  const cd = where ? `cd ${where} && ` : '';
  return [
    `fleetplay init: a fleet repository in ${r.dir} (${r.written.length} files):`,
    ...r.written.map((f) => `  ${f}`),
    '',
    'Next steps:',
    `  1. ${cd}npm install   (installs fleetplay; commit package-lock.json: the workflows run npm ci)`,
    '  2. Your devices in inventory/hosts.yml (readable names, Mender ids), your Mender server and OS images',
    '     in inventory/group_vars/all.yml; then see what main would do: npx fleetplay run --branch main',
    '  3. Commit, push main, canary and production to GitHub, add the MENDER_ACCESS_TOKEN secret and protect',
    '     canary and production (README.md, "Set up once")',
    '',
  ].join('\n');
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('make a new fleet repository: inventory, fleetplay.yml, workflows, package.json, README')
    .argument('[dir]', 'where (created if missing)', '.')
    .option('--force', 'overwrite the files init writes that exist already', false)
    .action((dir: string, o: { force: boolean }) => {
      process.exitCode = runInit(dir, o.force, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
        cwd: process.cwd(),
      });
    });
}
