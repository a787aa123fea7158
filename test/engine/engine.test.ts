/** Engine behaviour beyond the ansible fixtures: errors with file/line, modes, report, exit codes, forks, no_log, bulk modules. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { flatResults, RunReport } from '../../src/engine/report.js';
import { registerModule } from '../../src/modules/registry.js';
import { H1, H2, H3, play } from './helpers.js';

describe('load errors name the file, line and what to write', () => {
  test('unknown module', async () => {
    const r = await play(`- hosts: all\n  tasks:\n    - name: x\n      debugg: msg=hi\n`);
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatchObject({ code: 'playbook.unknown-module', line: 4 });
    expect(r.errors[0].file).toMatch(/site\.yml$/);
    expect(r.errors[0].hint).toMatch(/use debug, assert/);
    expect(r.text).toMatch(/site\.yml:4: .*debugg/);
  });

  test('unknown task keyword in a role names the role file', async () => {
    const r = await play(`- hosts: all\n  roles: [web]\n`, {
      files: { 'roles/web/tasks/main.yml': `- debug: msg=hi\n- debug: msg=x\n  whenn: true\n` },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0].file).toMatch(/roles\/web\/tasks\/main\.yml$/);
    expect(r.errors[0]).toMatchObject({ code: 'playbook.task-action', line: 3 });
    expect(r.errors[0].message).toMatch(/unknown module or keyword "whenn"/);
  });

  test('delegate_to another host is refused', async () => {
    const r = await play(`- hosts: all\n  tasks:\n    - debug: msg=hi\n      delegate_to: ${H2}\n`);
    expect(r.errors[0]).toMatchObject({ code: 'playbook.delegate', line: 4 });
    expect(r.errors[0].hint).toMatch(/delegate_to: localhost/);
  });

  test('unquoted free-form words are extra params', async () => {
    const r = await play(`- hosts: all\n  tasks:\n    - debug: msg=two words\n`);
    expect(r.errors[0]).toMatchObject({ code: 'playbook.extra-params', line: 3 });
    expect(r.errors[0].hint).toMatch(/msg="two words"/);
  });

  test('a missing role says where it was looked for', async () => {
    const r = await play(`- hosts: all\n  roles:\n    - role: nope\n`);
    expect(r.errors[0]).toMatchObject({ code: 'playbook.role-not-found', line: 3 });
  });

  test('YAML syntax errors carry line and column', async () => {
    const r = await play(`- hosts: all\n  tasks:\n    - debug: {msg: "x"\n`);
    expect(r.errors[0].code).toBe('yaml.syntax');
    expect(r.errors[0].line).toBeGreaterThan(0);
  });

  test('bad module arguments fail the task with the task line', async () => {
    const r = await play(`- hosts: canary\n  tasks:\n    - uri:\n        url: http://127.0.0.1:1/\n        bogus: 1\n`);
    expect(r.exitCode).toBe(2);
    const rec = flatResults(r.report.results)[0];
    expect(rec.status).toBe('failed');
    expect(String(rec.result.msg)).toMatch(/site\.yml:3: .*bogus/);
  });
});

describe('modes', () => {
  const pb = (marker: string) =>
    `- hosts: canary\n  tasks:\n    - command: touch ${marker}\n    - debug: msg="{{ ansible_check_mode }} {{ fleetplay_mode }}"\n`;

  test('dry-run is the default and is check mode: command does not run', async () => {
    const marker = join(process.env.TMPDIR ?? '/tmp', `fleetplay-dry-${process.pid}-${Date.now()}`);
    const r = await play(pb(marker), { mode: undefined });
    expect(existsSync(marker)).toBe(false);
    expect(r.report.mode).toBe('dry-run');
    expect(r.report.checkMode).toBe(true);
    expect(flatResults(r.report.results).map((x) => x.status)).toEqual(['skipped', 'ok']);
    expect(flatResults(r.report.results)[1].result.msg).toBe('True dry-run');
  });

  test('run mode runs it', async () => {
    const marker = join(process.env.TMPDIR ?? '/tmp', `fleetplay-run-${process.pid}-${Date.now()}`);
    const r = await play(pb(marker), { mode: 'run' });
    expect(existsSync(marker)).toBe(true);
    expect(flatResults(r.report.results)[1].result.msg).toBe('False run');
  });

  test('dry-run-debug turns on diff', async () => {
    const r = await play(`- hosts: canary\n  tasks:\n    - debug: msg="{{ ansible_diff_mode }}"\n`, {
      mode: 'dry-run-debug',
    });
    expect(r.report.diff).toBe(true);
    expect(flatResults(r.report.results)[0].result.msg).toBe(true);
  });
});

describe('exit codes and report', () => {
  test('0 when all ok, 2 when a host failed; report validates and has every host × task', async () => {
    const ok = await play(`- hosts: all\n  tasks:\n    - debug: msg=hi\n`);
    expect(ok.exitCode).toBe(0);
    const bad = await play(
      `- hosts: all\n  tasks:\n    - fail: msg=no\n      when: num == 2\n    - debug: msg=after\n`,
      { report: '/dev/null' },
    );
    expect(bad.exitCode).toBe(2);
    expect(() => RunReport.parse(bad.report)).not.toThrow();
    expect(flatResults(bad.report.results).map((r) => `${r.host.slice(-1)}:${r.status}`)).toEqual([
      'a:skipped',
      'b:failed',
      'c:skipped',
      'a:ok',
      'c:ok',
    ]);
    expect(bad.report.recap[H2]).toMatchObject({ failed: 1, ok: 0 });
  });

  test('--report writes a JSON file the schema accepts, with branch and commit from the caller', async () => {
    const dir = (await play(`- hosts: canary\n  tasks: []\n`)).dir;
    const file = join(dir, 'report.json');
    const r = await play(`- hosts: all\n  tasks:\n    - set_fact: {x: 1}\n`, {
      report: file,
      branch: 'canary',
      commit: 'abc123',
    });
    const written = RunReport.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(written.branch).toBe('canary');
    expect(written.commit).toBe('abc123');
    expect(flatResults(written.results)).toHaveLength(3);
    expect(written.results).toHaveLength(1);
    expect(written.exitCode).toBe(r.exitCode);
  });

  test('an unreachable OTA server gives exit code 4', async () => {
    registerModule({
      name: 'test_unreachable',
      args: z.object({}),
      checkMode: true,
      run: () => ({ unreachable: true, failed: true, msg: 'connection refused' }),
    });
    const r = await play(`- hosts: canary\n  tasks:\n    - test_unreachable: {}\n    - debug: msg=never\n`);
    expect(r.exitCode).toBe(4);
    expect(r.recap[H1]).toMatchObject({ unreachable: 1, ok: 0 });
    expect(r.text).toMatch(/UNREACHABLE!/);
  });
});

describe('secrets', () => {
  test('no_log hides results in output and report, and the value is masked later too', async () => {
    const r = await play(
      `- hosts: canary\n  tasks:\n    - set_fact:\n        api_token: s3cr3t-value-42\n      no_log: true\n    - debug: msg="token is {{ api_token }}"\n`,
      { report: '/dev/null' },
    );
    expect(r.text).not.toContain('s3cr3t-value-42');
    expect(JSON.stringify(r.report)).not.toContain('s3cr3t-value-42');
    expect(r.text).toContain('********');
  });
});

describe('concurrency', () => {
  test('--forks bounds how many hosts run a task at once', async () => {
    let inFlight = 0;
    let peak = 0;
    registerModule({
      name: 'test_slow',
      args: z.object({}),
      checkMode: true,
      async run() {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { changed: false };
      },
    });
    await play(`- hosts: all\n  tasks:\n    - test_slow: {}\n`, { forks: 1 });
    expect(peak).toBe(1);
    peak = 0;
    await play(`- hosts: all\n  tasks:\n    - test_slow: {}\n`, { forks: 10 });
    expect(peak).toBe(3);
  });
});

describe('bulk modules', () => {
  test('runBatch is called once with every active host and its plan entries reach the report', async () => {
    const calls: string[][] = [];
    registerModule({
      name: 'test_bulk',
      args: z.object({ image: z.string() }),
      checkMode: true,
      runBatch(items, task) {
        calls.push(items.map((i) => i.host));
        for (const i of items)
          task.report.add({ host: i.host, kind: 'os', from: 'v1', to: i.args.image, why: 'image differs' });
        return Promise.resolve(new Map(items.map((i) => [i.host, { changed: true, image: i.args.image }])));
      },
    });
    const r = await play(
      `- hosts: all\n  tasks:\n    - test_bulk:\n        image: "img-{{ num }}"\n      when: num > 1\n      register: out\n    - debug: var=out.image\n`,
    );
    expect(calls).toEqual([[H2, H3]]);
    // An entry without an action is a decision to leave the device as it is; H1 had none (on another stage).
    expect(r.report.plan.map((d) => [d.host, d.other_stage ?? false, d.os])).toEqual([
      [H1, true, { action: 'none' }],
      [H2, false, { action: 'none', to: 'img-2', why: 'image differs' }],
      [H3, false, { action: 'none', to: 'img-3', why: 'image differs' }],
    ]);
    expect(
      flatResults(r.report.results)
        .filter((x) => x.action === 'debug')
        .map((x) => x.result['out.image']),
    ).toEqual(['VARIABLE IS NOT DEFINED!', 'img-2', 'img-3']);
  });
});

describe('limit, tags, extra vars', () => {
  test('--limit restricts hosts; a limit matching nothing is a usage error', async () => {
    const r = await play(`- hosts: all\n  tasks:\n    - debug: msg=hi\n`, { limit: 'production' });
    expect(Object.keys(r.recap).sort()).toEqual([H2, H3]);
    const none = await play(`- hosts: all\n  tasks:\n    - debug: msg=hi\n`, { limit: 'nosuchgroup' });
    expect(none.exitCode).toBe(1);
  });
});
