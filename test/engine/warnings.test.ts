/**
 * Module warnings as ansible-core 2.14's default callback shows them: `[WARNING]: …` on stderr
 * before the result's line, wrapped at 79 columns, each text once a run. Compared with the
 * recording in test/fixtures/warnings (command in its README.md).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Printer } from '../../src/engine/output.js';
import { clearSecretsForTests, registerSecret } from '../../src/log/secrets.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'warnings');
const recorded = (f: string) => readFileSync(join(DIR, f), 'utf8');
const inventory = parse(recorded('inventory.yml')) as { all: { hosts: Record<string, { texts: string[] }> } };

/** Both streams in one list, in the order written: the interleaving a terminal or a CI log shows. */
function printer(o: { displayOk?: boolean } = {}) {
  const log: { stream: 'out' | 'err'; text: string }[] = [];
  const sink = (stream: 'out' | 'err') =>
    new Writable({ write: (c, _e, cb) => (log.push({ stream, text: String(c) }), cb()) });
  const p = new Printer({ stream: sink('out'), errStream: sink('err'), color: false, verbosity: 0, ...o });
  const text = (s: 'out' | 'err') =>
    log
      .filter((l) => l.stream === s)
      .map((l) => l.text)
      .join('');
  return { p, log, text };
}

describe('module warnings', () => {
  afterEach(() => clearSecretsForTests());

  test('as ansible-playbook printed them: wrapped, once each, on stderr, before the host line', () => {
    const { p, log, text } = printer();
    p.task('Schedule the OS image');
    // The recording's order (its hosts ran in parallel): the ok lines of stdout.txt.
    const order = [...recorded('stdout.txt').matchAll(/^ok: \[(.+)\]$/gm)].map((m) => m[1]);
    for (const host of order) p.result('ok', host, { changed: false, warnings: inventory.all.hosts[host].texts }, {});
    p.flush();
    expect(text('err')).toBe(recorded('stderr.txt'));
    expect(text('out')).toContain(order.map((h) => `ok: [${h}]\n`).join(''));
    // The banner is written before the first warning, each host's warnings before its line.
    expect(log[0]).toMatchObject({
      stream: 'out',
      text: expect.stringMatching(/TASK \[Schedule the OS image\]/) as unknown,
    });
    expect(log[1]).toMatchObject({
      stream: 'err',
      text: expect.stringMatching(/^\[WARNING\]: the same text/) as unknown,
    });
  });

  test('-v: the warnings are not repeated in the JSON; a failed result shows them too; secrets masked', () => {
    registerSecret('tok-123456');
    const { p, text } = printer();
    p.task('t');
    p.result('changed', 'h1', { changed: true, msg: 'm', warnings: ['uses tok-123456'] }, { show: true });
    p.result('fatal', 'h2', { failed: true, msg: 'broke', warnings: ['second'] }, {});
    p.flush();
    expect(text('err')).toBe('[WARNING]: uses ********\n[WARNING]: second\n');
    expect(text('out')).toContain('changed: [h1] => {\n    "changed": true,\n    "msg": "m"\n}\n');
    expect(text('out')).toContain('fatal: [h2]: FAILED! => {"msg": "broke"}\n');
  });

  test('ok lines hidden (ANSIBLE_DISPLAY_OK_HOSTS=false): their warnings are hidden too, as in ansible', () => {
    const { p, text } = printer({ displayOk: false });
    p.task('t');
    p.result('ok', 'h1', { changed: false, warnings: ['not shown'] }, {});
    p.result('changed', 'h2', { changed: true, warnings: ['shown'] }, {});
    p.flush();
    expect(text('err')).toBe('[WARNING]: shown\n');
  });
});
