/**
 * The console of the built CLI (dist/cli/main.js): colour only on a terminal (a real pseudo
 * terminal from util-linux `script`) and never with NO_COLOR; -v shows every result, one line
 * each as ansible does, -vvv indented.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { H1, repo } from './helpers.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
const PB = `- hosts: canary
  gather_facts: false
  tasks:
    - set_fact: {a: 1}
    - command: echo hi
    - debug: msg=never
      when: false
`;
const ESC = '\x1b[';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `fleetplay run` in the fleet repo; on a pseudo terminal when `tty`. Output as the terminal got it. */
function fleetplay(args: string[], o: { tty: boolean; env?: Record<string, string> }): string {
  const dir = repo({ 'site.yml': PB });
  const argv = [process.execPath, CLI, 'run', 'site.yml', '-i', 'inventory.yml', '--mode', 'run', ...args];
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...o.env };
  const [file, fileArgs] = o.tty
    ? ['script', ['-qec', argv.map(quote).join(' '), '/dev/null']]
    : [argv[0], argv.slice(1)];
  return execFileSync(file, fileArgs, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(
    /\r\n/g,
    '\n',
  );
}

describe('colour', () => {
  test('on a terminal the result lines and the recap are coloured', () => {
    const out = fleetplay([], { tty: true });
    expect(out).toContain(`${ESC}0;32mok: [${H1}]${ESC}0m`);
    expect(out).toContain(`${ESC}0;33mchanged: [${H1}]${ESC}0m`);
    expect(out).toContain(`${ESC}0;36mskipping: [${H1}]${ESC}0m`);
    expect(out).toContain(`${ESC}0;32mok=2   ${ESC}0m ${ESC}0;33mchanged=1   ${ESC}0m`);
  });

  test('NO_COLOR turns colour off even on a terminal', () => {
    const out = fleetplay([], { tty: true, env: { NO_COLOR: '1' } });
    expect(out).toContain(`ok: [${H1}]`);
    expect(out).not.toContain(ESC);
  });

  test('no colour when the output is not a terminal', () => {
    const out = fleetplay([], { tty: false });
    expect(out).toContain(`changed: [${H1}]`);
    expect(out).not.toContain(ESC);
  });

  test('an empty NO_COLOR does not count (no-color.org: present and not empty)', () => {
    expect(fleetplay([], { tty: true, env: { NO_COLOR: '' } })).toContain(`${ESC}0;32mok: [${H1}]${ESC}0m`);
  });
});

describe('-v levels', () => {
  test('without -v results are not shown', () => {
    const out = fleetplay([], { tty: false });
    expect(out).toMatch(new RegExp(`^ok: \\[${H1}\\]$`, 'm'));
    expect(out).not.toContain('=> {');
  });

  test('-v shows each result on its line, as ansible does', () => {
    const out = fleetplay(['-v'], { tty: false });
    expect(out).toContain(`ok: [${H1}] => {"ansible_facts": {"a": 1}, "changed": false}`);
    expect(out).toMatch(
      new RegExp(
        `changed: \\[${H1}\\] => \\{"changed": true, "cmd": \\["echo", "hi"\\], "delta": "0:00:\\d\\d\\.\\d{6}", .*"stdout": "hi", "stdout_lines": \\["hi"\\]\\}`,
      ),
    );
    expect(out).toContain(`skipping: [${H1}] => {}`);
  });

  test('-vvv indents the results', () => {
    const out = fleetplay(['-vvv'], { tty: false });
    expect(out).toContain(`ok: [${H1}] => {\n    "ansible_facts": {\n        "a": 1\n    },\n    "changed": false\n}`);
  });
});
