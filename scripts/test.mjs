#!/usr/bin/env node
// Runs the type check, the formatter's check, the linter and jest, then prints the plain closing line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
/** A check before the tests: its command, and what to run to see or fix what it found. */
function check(cmd, args, fix) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) console.error(`${[cmd, ...args].join(' ')} failed: ${fix}`);
  return r.status === 0;
}
const checks = [
  check('npx', ['tsc', '--noEmit', '-p', '.'], 'fix the type errors above'),
  check('npx', ['prettier', '--check', '--log-level', 'warn', '.'], 'run `npx prettier --write .`'),
  check(
    'npx',
    ['eslint', '--cache', '--cache-location', 'node_modules/.cache/eslint/', '.'],
    'fix the lint errors above',
  ),
];
// The tests' temp repositories, servers' files and CLI runs live under one folder, removed afterwards.
const scratch = mkdtempSync(join(tmpdir(), 'fleetplay-jest-'));
const out = join(scratch, 'results.json');
const env = {
  ...process.env,
  TMPDIR: scratch,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
};
// jest's own cache stays where it was (it is keyed on the temp folder otherwise, and would start cold every run).
const cache = `--cacheDirectory=${join(tmpdir(), `jest_${(process.getuid?.() ?? 0).toString(36)}`)}`;
const jest = spawnSync('npx', ['jest', '--json', `--outputFile=${out}`, cache, ...args], { stdio: 'inherit', env });
let passed = 0;
let failed = 0;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
}
rmSync(scratch, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(checks.every(Boolean) && jest.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
