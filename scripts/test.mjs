#!/usr/bin/env node
// Runs the type check and jest, then prints the plain closing line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('type check failed (npx tsc --noEmit -p .)');
}
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
process.exit(tsc.status === 0 && jest.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
