/**
 * --list-hosts, --list-tasks, --list-tags, --syntax-check and --start-at-task against what
 * ansible-playbook printed (test/fixtures/playbooks/NAME.stdout.txt and NAME.stderr.txt, recorded
 * by generate.mjs --stdout with the command on the first line). Listings are compared line for
 * line; ansible prints play tags and hosts from a Python set, so only their order is left out.
 * The runs of --start-at-task are compared by output.test.ts and differential.test.ts; here,
 * what they print on stderr. Then the listing flags through the built CLI in a fleet repository:
 * no request reaches the OTA server and no credential is needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { loadInventory } from '../../src/inventory/index.js';
import { isListing, listPlaybook } from '../../src/engine/listing.js';
import { runPlaybook } from '../../src/engine/run.js';
import { pyWrap } from '../../src/engine/start-at.js';
import { ROOT, TOKEN, eachTestFleet, ensureBuilt } from '../stage/helpers.js';
import { FIXTURES as dir, fixtureOptions } from './fixtures.js';
import { repo } from './helpers.js';

const recorded = readdirSync(dir)
  .filter((f) => f.endsWith('.stdout.txt'))
  .map((f) => f.replace('.stdout.txt', ''))
  .sort();
const listings = recorded.filter((n) => isListing(fixtureOptions(n)));
const startAts = recorded.filter((n) => fixtureOptions(n).startAtTask !== undefined);

/** A recording: ansible's exit code (from the command line) and what it printed. */
function record(name: string): { rc: number; stdout: string; stderr: string } {
  const [head, ...rest] = readFileSync(join(dir, `${name}.stdout.txt`), 'utf8').split('\n');
  const errFile = join(dir, `${name}.stderr.txt`);
  return {
    rc: Number(/\(rc=(\d+)/.exec(head)?.[1]),
    stdout: rest.join('\n'),
    stderr: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '',
  };
}

/** Python set order aside: play tags sorted, the lines of each hosts block sorted. */
function setsSorted(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\tTAGS: \[([^\]]*)\]$/, (_m, t: string) => `\tTAGS: [${t.split(',').sort().join(',')}]`));
  for (let i = 0; i < lines.length; i++) {
    const n = /^ {4}hosts \((\d+)\):$/.exec(lines[i]);
    if (n) lines.splice(i + 1, Number(n[1]), ...lines.slice(i + 1, i + 1 + Number(n[1])).sort());
  }
  return lines.join('\n');
}

const sink = () => {
  let text = '';
  return { s: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), text: () => text };
};

/** fleetplay's listing of a fixture; the playbook line shows the path as ansible was given it. */
function fleetplayListing(name: string): { exitCode: number; text: string } {
  const o = fixtureOptions(name);
  const out = sink();
  const r = listPlaybook({ ...o, inventory: [o.inventory], stdout: out.s });
  return {
    exitCode: r.exitCode,
    text: out.text().replace(`playbook: ${o.playbook}\n`, `playbook: ${o.playbookArg}\n`),
  };
}

describe('listings as ansible-playbook prints them', () => {
  test('the fixtures cover every flag', () => {
    const flags = listings.map(fixtureOptions);
    for (const k of ['listHosts', 'listTasks', 'listTags', 'syntaxCheck'] as const)
      expect(flags.filter((o) => o[k]).length).toBeGreaterThanOrEqual(1);
    expect(flags.filter((o) => o.limit).length).toBeGreaterThanOrEqual(2);
    expect(flags.filter((o) => o.tags.length || o.skipTags.length).length).toBeGreaterThanOrEqual(4);
    expect(startAts.length).toBeGreaterThanOrEqual(3);
  });

  // A playbook ansible refuses is compared below: fleetplay's message and exit code are its own.
  test.each(listings.filter((n) => record(n).rc === 0))('%s', (name) => {
    const ansible = record(name);
    const ours = fleetplayListing(name);
    expect(ours.exitCode).toBe(ExitCode.ok);
    expect(setsSorted(ours.text)).toBe(setsSorted(ansible.stdout));
  });

  test('every listing fixture ansible refused is one of the documented differences', () => {
    expect(listings.filter((n) => record(n).rc !== 0)).toEqual(['syntax_bad']);
  });

  test('syntax_bad: ansible exits 4 with its parser message; fleetplay exits 1 naming the file and line', () => {
    const ansible = record('syntax_bad');
    expect(ansible.rc).toBe(4);
    expect(ansible.stdout).toBe('');
    expect(ansible.stderr).toMatch(/^ERROR! conflicting action statements: debug, whenn/);
    const o = fixtureOptions('syntax_bad');
    const line = readFileSync(o.playbook, 'utf8').split('\n').indexOf('      whenn: true') + 1;
    expect(line).toBeGreaterThan(0);
    const ours = fleetplayListing('syntax_bad');
    expect(ours.exitCode).toBe(ExitCode.usage);
    expect(ours.text).toBe(
      `ERROR! ${o.playbook}:${line}: task has unknown module or keyword "whenn"\n` +
        '  hint: a task names exactly one module (debug, set_fact, uri, command, …; FQCN like ansible.builtin.uri also works) plus keywords\n',
    );
  });

  test('--limit that matches no host stops the listing with exit 1, as ansible (rc 1) does', () => {
    const out = sink();
    const r = listPlaybook({
      playbook: join(dir, 'list_hosts.yml'),
      inventory: [join(dir, 'inventory.yml')],
      limit: 'nomatch',
      listHosts: true,
      stdout: out.s,
    });
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(out.text()).toBe(
      'ERROR! --limit nomatch matches no host\n  hint: check the pattern against the inventory (fleetplay inventory list)\n',
    );
  });
});

test('a host pattern fleetplay cannot read is the same error in a listing as in a run: file, line, exit 1', async () => {
  const d = repo({ 'site.yml': '- hosts: "~a(b"\n  gather_facts: false\n  tasks:\n    - debug: msg=x\n' });
  const o = { playbook: join(d, 'site.yml'), inventory: [join(d, 'inventory.yml')] };
  const listed = sink();
  expect(listPlaybook({ ...o, listHosts: true, stdout: listed.s }).exitCode).toBe(ExitCode.usage);
  const ran = sink();
  expect((await runPlaybook({ ...o, mode: 'run', stdout: ran.s })).exitCode).toBe(ExitCode.usage);
  expect(listed.text()).toMatch(new RegExp(`^ERROR! ${o.playbook}:1: invalid host pattern`));
  expect(ran.text()).toContain(listed.text());
});

describe('--start-at-task on stderr', () => {
  test.each(startAts)('%s', async (name) => {
    const o = fixtureOptions(name);
    const ansible = record(name);
    const err = sink();
    const r = await runPlaybook({
      playbook: o.playbook,
      inventory: [join(dir, 'inventory.yml')],
      mode: 'run',
      tags: o.tags,
      skipTags: o.skipTags,
      startAtTask: o.startAtTask,
      stdout: sink().s,
      stderr: err.s,
      env: { PATH: process.env.PATH },
    });
    expect(r.exitCode).toBe(ansible.rc);
    expect(err.text()).toBe(ansible.stderr);
  });

  test('Python textwrap at 79 columns, as recorded from Python', () => {
    const rec = JSON.parse(readFileSync(join(dir, '..', 'textwrap', 'wrap79.json'), 'utf8')) as {
      width: number;
      cases: { text: string; lines: string[] }[];
    };
    expect(rec.cases.length).toBeGreaterThanOrEqual(5);
    for (const c of rec.cases) expect(pyWrap(c.text, rec.width)).toEqual(c.lines);
  });
});

describe('the listing flags of the built CLI in a fleet repository', () => {
  beforeAll(ensureBuilt, 120_000);
  const fleet = eachTestFleet();

  /** Async spawn: the server answers from this process while the CLI runs. */
  function fleetplay(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run', ...args], {
        cwd: fleet.repo.dir,
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let out = '';
      child.stdout.on('data', (c) => (out += String(c)));
      child.on('close', (code) => resolve({ code, out }));
    });
  }

  /** The sample inventory with its server URL pointed at the test server. */
  function pointAtServer(): void {
    const path = 'inventory/group_vars/all.yml';
    const text = readFileSync(join(fleet.repo.dir, path), 'utf8');
    expect(text).toMatch(/^mender_server: .*$/m);
    fleet.repo.commit('main', { [path]: text.replace(/^mender_server: .*$/m, `mender_server: ${fleet.srv.url}`) });
  }

  test('the default playbook lists as ansible lists it; no request reaches the server, no token needed', async () => {
    pointAtServer();
    const r = await fleetplay(['--list-tasks', '--list-tags']);
    expect(r.code).toBe(0);
    const ansible = record('list_default_playbook');
    expect(fixtureOptions('list_default_playbook').playbookArg).toBe('../../../playbooks/manage-fleet.yml');
    expect(r.out).toBe(ansible.stdout.replace('playbook: ../../../playbooks/', 'playbook: playbooks/'));
    for (const flags of [['--list-hosts'], ['--syntax-check'], ['--list-hosts', '--limit', 'production']]) {
      const x = await fleetplay(flags);
      expect(x.code).toBe(0);
      expect(x.out).toContain('playbook: playbooks/manage-fleet.yml');
    }
    expect(await fleet.srv.requests()).toEqual([]);
  });

  test('--list-hosts shows every device of the inventory, limited by --limit', async () => {
    const inv = loadInventory([join(fleet.repo.dir, 'inventory')]);
    if (!inv.ok) throw new Error(inv.error[0].message);
    const production = inv.value.match('production');
    if (!production.ok) throw new Error(production.error.message);
    const all = await fleetplay(['--list-hosts']);
    expect(all.out).toContain(
      `hosts (${inv.value.hosts.length}):\n${inv.value.hosts.map((h) => `      ${h}\n`).join('')}`,
    );
    const limited = await fleetplay(['--list-hosts', '-l', 'production']);
    expect(limited.out).toContain(`hosts (${production.value.length}):\n`);
    expect(production.value.length).toBeLessThan(inv.value.hosts.length);
  });

  test('the same repository without a listing flag does reach the server (the check above can fail)', async () => {
    pointAtServer();
    const r = await fleetplay(['--start-at-task', 'subscription : Read what*'], { MENDER_ACCESS_TOKEN: TOKEN });
    expect(r.out).toContain('TASK [subscription : Read what the OTA server knows about each device]');
    expect(r.out).not.toContain('TASK [subscription : Know which branch is being run]');
    expect(r.code).toBe(0);
    expect((await fleet.srv.requests()).length).toBeGreaterThan(0);
  });
});
