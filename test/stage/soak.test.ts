/**
 * bench/soak.mjs as CI runs a few of its trials: `fleetplay run` (the built CLI) SIGKILLed at a
 * random moment under 20% injected faults, run again without faults until it exits 0, then once
 * more, against an embedded server in its own process. The full 50 trials are in
 * docs/performance.md; here three, on a small fleet, and one with a planted duplicate and lost
 * update to show that the counts see them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, ensureBuilt } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

interface Summary {
  trials: number;
  kills: number;
  kills_by_phase: Record<string, number>;
  duplicates: number;
  duplicates_os: number;
  duplicates_config: number;
  lost: number;
  lost_os: number;
  lost_config: number;
  not_recovered: number;
  third_run_writes: number;
  third_run_failed: number;
}

/** Runs the soak script; its exit code, the JSON line of stdout and the table of stderr. */
function soak(...args: string[]): Promise<{ code: number | null; summary: Summary; table: string }> {
  // A short kill window instead of a measured whole run: the trials, not the calibration, are the test.
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bench/soak.mjs'), '--devices', '10', '--window-seconds', '4', ...args],
    {
      cwd: ROOT,
    },
  );
  let out = '';
  let table = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (table += String(c)));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      // No JSON line: the script itself failed; its stderr says where.
      if (!out.trim()) reject(new Error(`bench/soak.mjs exited ${code} without a summary:\n${table}`));
      else resolve({ code, summary: JSON.parse(out.trim()) as Summary, table });
    }),
  );
}

test('three SIGKILLed runs under 20% faults: 0 duplicates, 0 lost, the third run writes nothing', async () => {
  const r = await soak('--trials', '3', '--seed', String(Date.now() % 100_000));
  expect(r.summary).toMatchObject({
    trials: 3,
    duplicates: 0,
    lost: 0,
    not_recovered: 0,
    third_run_writes: 0,
    third_run_failed: 0,
  });
  // Every trial is in the table and in one phase; the even one is killed once writes were served.
  expect(r.table.trim().split('\n')).toHaveLength(2 + 3);
  expect(Object.values(r.summary.kills_by_phase).reduce((a, b) => a + b, 0)).toBe(3);
  expect(r.summary.kills).toBeGreaterThanOrEqual(1);
  expect(r.code).toBe(0);
}, 150_000);

test('the counts see a planted duplicate OS and configuration deployment and a lost configuration', async () => {
  const r = await soak('--trials', '1', '--plant', 'both');
  expect(r.summary).toMatchObject({ duplicates_os: 1, duplicates_config: 1, lost_os: 0, lost_config: 1 });
  expect(r.code).toBe(1);
}, 90_000);
