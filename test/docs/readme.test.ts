/**
 * The README's commands work: every line of its ```sh blocks is either run here — in order, in a
 * throw-away fleet repository, with the built CLI as `fleetplay` / `npx fleetplay`, against the
 * embedded server seeded from the sample inventory — or listed in NOT_RUN with the reason.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { ensureBuilt } from '../stage/helpers.js';
import { shellCommands, type Command } from './markdown.js';

const ROOT = resolve('.');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TOKEN = 'readme-test-token-5150';
const SECRETS = { GHRUNNER_TOKEN: 'readme-runner-secret-77', INFLUXDB_TOKEN: 'readme-influx-secret-88' };

/** README commands this test does not run, and why. */
const NOT_RUN: Record<string, string> = {
  'npm install && npm run demo': 'the demo has its own test (test/demo); re-running npm install here is slow',
  'npm install && npm test': 'this test is part of npm test (recursion)',
  'npm install --save-dev fleetplay':
    'installs from the npm registry; the test links node_modules/fleetplay to this checkout instead',
  'git push origin main canary production': 'needs a remote (GitHub)',
  'git push origin release-1.1.0': 'needs a remote (GitHub)',
  'npx fleetplay promote --from main': 'needs GitHub and a remote; test/promote runs it against a stand-in GitHub',
  'npx fleetplay rollback --stage canary': 'needs GitHub and a remote; test/promote runs it against a stand-in GitHub',
  'export MENDER_SERVER_URL=https://staging.mender.example.com':
    'points at a real Mender server; the test sets MENDER_SERVER_URL to its embedded server',
  'export MENDER_ACCESS_TOKEN=your-personal-access-token': 'a placeholder; the test sets a token its server accepts',
};

/** Exit codes other than 0, and what the output must show; keyed by the README line. */
const EXPECT: Record<string, { code?: number; output?: RegExp; why?: string }> = {
  'npx fleetplay inventory list': { output: /kiosk/ },
  'npx fleetplay inventory move kiosk-central-station --to canary --dry-run': { output: /^\+\+\+ /m },
  'npx fleetplay run --branch main': { output: /PLAY RECAP/ },
  'npx fleetplay run --branch canary': { output: /PLAY RECAP/ },
  'npx fleetplay run --branch canary --limit canary -e retry_failed=true': { output: /PLAY RECAP/ },
  'npx fleetplay run --list-tasks': { output: /os_update : Schedule the OS image/ },
  'npx fleetplay run --list-hosts --limit canary': { output: /hosts \(1\):/ },
  'npx fleetplay monitor --branch canary': {
    code: 2,
    output: /drift/,
    why: 'the release is in the checkout but nothing was deployed: the canary device has drifted (exit 2)',
  },
};

interface Ran {
  code: number | null;
  out: string;
}

/** A fleet repository as the README's setup expects it: inventory/ on main, the package linked in. */
/** The inventory keeps its own mender_server: MENDER_SERVER_URL, as the README exports it, beats it. */
function fleetRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-readme-'));
  cpSync(join(ROOT, 'inventory'), join(dir, 'inventory'), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/fleetplay'));
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  return dir;
}

/** `fleetplay` and `npx fleetplay` both run the built CLI; any other npx use is refused. */
function shims(): string {
  const bin = mkdtempSync(join(tmpdir(), 'fleetplay-readme-bin-'));
  const cli = `"${process.execPath}" "${join(ROOT, 'dist/cli/main.js')}"`;
  const write = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  write('fleetplay', `exec ${cli} "$@"`);
  write(
    'npx',
    `[ "$1" = fleetplay ] || { echo "npx $1: not available in the README test" >&2; exit 127; }\nshift\nexec ${cli} "$@"`,
  );
  return bin;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((done) => {
    // stdin not a socket: bash would then read the system bashrc as if started by rshd.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += String(c)));
    child.stderr.on('data', (c) => (out += String(c)));
    child.on('close', (code) => done({ code, out }));
  });
}

/** Every artifact name the README mentions, for every device type of the sample fleet. */
function artifacts(): { name: string; device_types_compatible: string[] }[] {
  const inv = loadInventory([join(ROOT, 'inventory')]);
  if (!inv.ok) throw new Error(inv.error.map((e) => e.message).join('\n'));
  const types = [...new Set(inv.value.hosts.map((h) => String(inv.value.hostVars(h).device_type)))];
  const versions = [...new Set([...README.matchAll(/fleet-os-(\d+\.\d+\.\d+)/g)].map((m) => m[1]))];
  return versions.flatMap((v) => types.map((t) => ({ name: `fleet-os-${v}-${t}`, device_types_compatible: [t] })));
}

const extracted = shellCommands(README);

describe('README', () => {
  test('is short, keeps the Quick start heading and the test command CI runs', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(201); // wc -l ≤ 200: a final newline ends line 200
    expect(README).toMatch(/^## Quick start$/m);
    expect(extracted.commands.map((c) => c.text)).toContain('npm install && npm test');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
  });

  test('writes commands one way only: ```sh blocks', () => {
    expect(extracted.problems).toEqual([]);
    expect(extracted.commands.length).toBeGreaterThan(5);
  });

  test('links only to files that exist', () => {
    const links = [...README.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^\w+:/.test(l));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
  });

  test('the tables of this test name only commands the README has', () => {
    const texts = new Set(extracted.commands.map((c) => c.text));
    expect([...Object.keys(NOT_RUN), ...Object.keys(EXPECT)].filter((c) => !texts.has(c))).toEqual([]);
  });

  describe('its commands, run in order in a fleet repository', () => {
    let server: RunningServer;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const toRun = extracted.commands.filter((c) => !(c.text in NOT_RUN));
    const ran = new Map<Command, Ran>();

    beforeAll(async () => {
      ensureBuilt();
      server = await startServer({
        memory: true,
        clock: 'manual',
        tokens: [TOKEN],
        inventory: [join(ROOT, 'inventory')],
        spec: { artifacts: artifacts() },
      });
      dir = fleetRepo();
      const bin = shims();
      env = {
        PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: dir,
        MENDER_SERVER_URL: server.url,
        MENDER_ACCESS_TOKEN: TOKEN,
        ...SECRETS,
        GIT_AUTHOR_NAME: 'readme',
        GIT_AUTHOR_EMAIL: 'readme@example.org',
        GIT_COMMITTER_NAME: 'readme',
        GIT_COMMITTER_EMAIL: 'readme@example.org',
        GIT_CONFIG_NOSYSTEM: '1',
      };
      const init = await sh('git init -q -b main && git add -A && git commit -qm "the fleet"', dir, env);
      if (init.code !== 0) throw new Error(init.out);
      // In order: later commands build on earlier ones (a branch, an edit).
      for (const c of toRun) ran.set(c, await sh(c.text, dir, env));
    }, 180_000);

    afterAll(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('runs some and explains the rest', () => {
      expect(toRun.length).toBeGreaterThan(5);
    });

    test.each(toRun.map((c) => [`README.md:${c.line}: ${c.text}`, c] as const))('%s', (_name, c) => {
      const r = ran.get(c)!;
      const want = EXPECT[c.text] ?? {};
      expect({ code: r.code, out: r.out }).toEqual({ code: want.code ?? 0, out: expect.any(String) as string });
      if (want.output) expect(r.out).toMatch(want.output);
      for (const secret of [TOKEN, ...Object.values(SECRETS)]) expect(r.out).not.toContain(secret);
    });

    test('the setup left the fleet repository as the README says', () => {
      expect(existsSync(join(dir, 'playbooks/manage-fleet.yml'))).toBe(true);
      expect(existsSync(join(dir, '.github/workflows/update-fleet.yml'))).toBe(true);
    });
  });
});

describe('shellCommands (the extractor)', () => {
  const md = (...lines: string[]) => lines.join('\n');

  test('takes each line of a ```sh block, without comments and blank lines', () => {
    const r = shellCommands(md('text', '```sh', '# say', 'echo a', '', 'echo b', '```', '```yaml', 'a: 1', '```'));
    expect(r).toEqual({
      commands: [
        { line: 4, text: 'echo a' },
        { line: 6, text: 'echo b' },
      ],
      problems: [],
    });
  });

  test.each([
    ['```bash', 'README.md:1: fenced block "bash": write ```sh for commands'],
    ['```console', 'README.md:1: fenced block "console": write ```sh for commands'],
    ['```', 'README.md:1: fenced block "(none)": name the language'],
  ])('refuses %s fences, naming the line', (open, problem) => {
    const r = shellCommands(md(open, 'echo a', '```'));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain(problem);
  });

  test('refuses indented code blocks but not list continuations', () => {
    expect(shellCommands(md('Run:', '', '    npm test')).problems).toEqual([
      'README.md:3: indented code block; write commands in a ```sh block, other text in ```text',
    ]);
    expect(shellCommands(md('1. Step one', '', '    more text of step one')).problems).toEqual([]);
  });

  test('refuses continued lines and unclosed blocks', () => {
    expect(shellCommands(md('```sh', 'echo a \\', '  b', '```')).problems).toEqual([
      'README.md:2: continued line; write the command on one line',
    ]);
    expect(shellCommands(md('```sh', 'echo a')).problems).toEqual([
      'README.md: a ```sh block is not closed; end it with ```',
    ]);
  });
});
