/**
 * The run's job summary names devices by inventory name with the whole device id beside it, for
 * the devices something happened to; a 100k fleet lists the first 50 and says how many more.
 */
import { emptyStats } from '../../src/engine/output.js';
import { emptyReport } from '../../src/engine/run.js';
import type { RunReport } from '../../src/engine/report.js';
import { stageReport, summaryMarkdown } from '../../src/stage/summary.js';

const id = (n: number) => `5e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function report(): RunReport {
  const r = emptyReport({ playbook: 'site.yml', inventory: [] }, 'run', false, false, new Date(0));
  r.branch = 'canary';
  r.exitCode = 2;
  r.recap = {
    'kiosk-next': { ...emptyStats(), changed: 2 },
    [id(2)]: emptyStats(),
    'gha-runner': { ...emptyStats(), failed: 1 },
  };
  r.devices = { 'kiosk-next': id(1), [id(2)]: id(2), 'gha-runner': id(3) };
  r.plan = [
    {
      host: 'kiosk-next',
      device_id: id(1),
      os: { action: 'deploy', from: 'os-1.0', to: 'os-1.1', why: 'wants os-1.1' },
      config: { action: 'set', added: ['kiosk_url'], changed: [], removed: [], values: { kiosk_url: 'x' } },
    },
    { host: id(2), device_id: id(2), os: { action: 'none', to: 'os-1.1', why: 'runs it' }, config: { action: 'none' } },
    {
      host: 'gha-runner',
      device_id: id(3),
      os: { action: 'fail', why: 'no artifact' },
      config: { action: 'fail', why: 'no artifact' },
    },
  ];
  return r;
}

describe('summaryMarkdown: devices', () => {
  test('changed and failed devices by name and whole id; a device with nothing to do is left out', () => {
    const r = report();
    const md = summaryMarkdown(r, stageReport(r));
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('`5e'));
    expect(rows).toEqual([
      `| kiosk-next (\`${id(1)}\`) | os-1.0 → os-1.1 | +kiosk_url | ok |`,
      `| gha-runner (\`${id(3)}\`) | fail: no artifact | fail: no artifact | failed |`,
    ]);
  });

  test('a large fleet lists the first 50 devices, then how many more', () => {
    const r = report();
    for (let n = 10; n < 130; n++) {
      r.recap[`dev-${n}`] = { ...emptyStats(), changed: 1 };
      r.plan.push({
        host: `dev-${n}`,
        device_id: id(n),
        os: { action: 'deploy', from: 'a', to: 'b', why: 'w' },
        config: { action: 'none' },
      });
    }
    const md = summaryMarkdown(r, stageReport(r));
    expect(md.split('\n').filter((l) => /^\| .*`5e/.test(l))).toHaveLength(50);
    expect(md).toContain('… and 72 more (report.json lists every device).');
  });
});
