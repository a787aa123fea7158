#!/usr/bin/env node
// Runs the type check, the formatter's check, the linter and jest, then prints the plain closing line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
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
const out = join(mkdtempSync(join(tmpdir(), 'fleetplay-jest-')), 'results.json');
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() };
const jest = spawnSync('npx', ['jest', '--json', `--outputFile=${out}`, ...args], { stdio: 'inherit', env });
let passed = 0;
let failed = 0;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(checks.every(Boolean) && jest.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
