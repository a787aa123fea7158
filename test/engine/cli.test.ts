/** `fleetplay run` through the real CLI entry (commander), in-process. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseExtraVars } from '../../src/engine/cli.js';
import { flatResults, RunReport } from '../../src/engine/report.js';
import { repo } from './helpers.js';

const PB = `- hosts: all\n  tasks:\n    - debug: msg="{{ greeting | default('none') }} {{ fleetplay_mode }}"\n      tags: hello\n    - fail: msg=no\n      when: num == 3\n      tags: boom\n`;

async function run(args: string[], env: Record<string, string> = {}): Promise<number> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.exitCode = undefined;
  try {
    return await main(['node', 'fleetplay', ...args]);
  } finally {
    process.env = saved;
    process.exitCode = undefined;
  }
}

test('run: exit 2 when a host fails, report written, -e and PLAYBOOK_MODE honoured', async () => {
  const dir = repo({ 'site.yml': PB });
  const report = join(dir, 'r.json');
  const code = await run(
    ['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '-e', 'greeting=hi', '--report', report],
    { PLAYBOOK_MODE: 'run' },
  );
  expect(code).toBe(2);
  const r = RunReport.parse(JSON.parse(readFileSync(report, 'utf8')));
  expect(r.mode).toBe('run');
  expect(
    flatResults(r.results)
      .filter((x) => x.action === 'debug')
      .map((x) => x.result.msg),
  ).toEqual(['hi run', 'hi run', 'hi run']);
});

test('run: --skip-tags avoids the failure; --mode beats PLAYBOOK_MODE', async () => {
  const dir = repo({ 'site.yml': PB });
  const report = join(dir, 'r.json');
  const code = await run(
    [
      'run',
      join(dir, 'site.yml'),
      '-i',
      join(dir, 'inventory.yml'),
      '--skip-tags',
      'boom',
      '--mode',
      'dry-run',
      '--report',
      report,
    ],
    { PLAYBOOK_MODE: 'run' },
  );
  expect(code).toBe(0);
  expect(JSON.parse(readFileSync(report, 'utf8')).mode).toBe('dry-run');
});

test('usage errors exit 1: bad mode, bad PLAYBOOK_MODE, missing playbook', async () => {
  const dir = repo({ 'site.yml': PB });
  expect(await run(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml'), '--mode', 'yolo'])).toBe(1);
  await expect(
    run(['run', join(dir, 'site.yml'), '-i', join(dir, 'inventory.yml')], { PLAYBOOK_MODE: 'yolo' }),
  ).resolves.toBe(1);
  expect(await run(['run', join(dir, 'nope.yml'), '-i', join(dir, 'inventory.yml')])).toBe(1);
});

test('-e forms: pairs, JSON', () => {
  expect(parseExtraVars(['a=1 b="two words"', '{"c": [1, 2]}'])).toEqual({ a: '1', b: 'two words', c: [1, 2] });
  expect(() => parseExtraVars(['novalue'])).toThrow(/NAME=VALUE/);
});
