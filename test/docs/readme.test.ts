/**
 * The README's commands work: every line of its ```sh blocks is either run here — in order, in an
 * empty directory that its set-up turns into a fleet repository (`fleetplay init`, then this
 * checkout packed with `npm pack` and installed in place of the registry's fleetplay), against
 * the embedded server seeded from the inventory init writes — or listed in NOT_RUN with the reason.
 * Before the install `npx fleetplay` is the built CLI (npx would fetch the package), after it the
 * installed package's bin.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { TEMPLATE_DIR } from '../../src/init/scaffold.js';
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
  'git push origin main canary production': 'needs a remote (GitHub)',
  'git push origin release-1.1.0': 'needs a remote (GitHub)',
  'npx fleetplay promote --from main': 'needs GitHub and a remote; test/promote runs it against a stand-in GitHub',
  'npx fleetplay rollback --stage canary': 'needs GitHub and a remote; test/promote runs it against a stand-in GitHub',
  'export MENDER_SERVER_URL=https://staging.mender.example.com':
    'points at a real Mender server; the test sets MENDER_SERVER_URL to its embedded server',
  'export MENDER_ACCESS_TOKEN=your-personal-access-token': 'a placeholder; the test sets a token its server accepts',
};

/** README commands run with a change, and why: keyed by the README line. */
const SUBSTITUTE: Record<string, (tarball: string) => string> = {
  // From the cache this test's own `npm install` filled; the registry only for what is missing.
  'npm install': (tarball) => `npm install --save-dev --prefer-offline --no-audit --no-fund ${tarball}`,
};

/** Exit codes other than 0, and what the output must show; keyed by the README line. */
const EXPECT: Record<string, { code?: number; output?: RegExp; why?: string }> = {
  'npx fleetplay init': { output: /^Next steps:\n {2}1\. npm install/m },
  // The repository has no playbooks/: the installed package's playbook runs, for the device following main.
  'npx fleetplay run --mode dry-run': {
    output:
      /the default playbook of the fleetplay package \(\S*\/node_modules\/fleetplay\/playbooks\/manage-fleet\.yml\)\n[^]*PLAY RECAP \*+\nkiosk-lab /,
  },
  'npx fleetplay inventory list': { output: /kiosk-lobby/ },
  'npx fleetplay inventory move kiosk-entrance --to canary --dry-run': { output: /^\+\+\+ /m },
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

/** `fleetplay` and `npx fleetplay`: the installed package's bin once there is one, else the built CLI. */
function shims(): string {
  const bin = mkdtempSync(join(tmpdir(), 'fleetplay-readme-bin-'));
  const cli = `"${process.execPath}" "${join(ROOT, 'dist/cli/main.js')}"`;
  const run = `[ -x node_modules/.bin/fleetplay ] && exec node_modules/.bin/fleetplay "$@"\nexec ${cli} "$@"`;
  const write = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  write('fleetplay', run);
  write(
    'npx',
    `[ "$1" = fleetplay ] || { echo "npx $1: not available in the README test" >&2; exit 127; }\nshift\n${run}`,
  );
  return bin;
}

const Packed = z.array(z.object({ filename: z.string(), files: z.array(z.object({ path: z.string() })) })).length(1);

/** This checkout as npm publishes it (dist/ is built already: no scripts). */
function pack(into: string): z.infer<typeof Packed>[0] {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return Packed.parse(JSON.parse(out))[0];
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

/** Every artifact name the README mentions, for every device type of the fleet init writes. */
function artifacts(): { name: string; device_types_compatible: string[] }[] {
  const inv = loadInventory([join(TEMPLATE_DIR, 'inventory')]);
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
    const named = [...Object.keys(NOT_RUN), ...Object.keys(EXPECT), ...Object.keys(SUBSTITUTE)];
    expect(named.filter((c) => !texts.has(c))).toEqual([]);
  });

  describe('its commands, run in order from an empty directory', () => {
    let server: RunningServer;
    let dir: string;
    let scratch: string;
    let packed: ReturnType<typeof pack>;
    let env: NodeJS.ProcessEnv;
    const toRun = extracted.commands.filter((c) => !(c.text in NOT_RUN));
    const ran = new Map<Command, Ran>();

    beforeAll(async () => {
      ensureBuilt();
      server = await startServer({
        memory: true,
        clock: 'manual',
        tokens: [TOKEN],
        inventory: [join(TEMPLATE_DIR, 'inventory')],
        spec: { artifacts: artifacts() },
      });
      scratch = mkdtempSync(join(tmpdir(), 'fleetplay-readme-pack-'));
      packed = pack(scratch);
      dir = mkdtempSync(join(tmpdir(), 'fleetplay-readme-'));
      const bin = shims();
      env = {
        PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: dir,
        // npm's cache stays the machine's: the install reuses what this repository's install fetched.
        npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
        MENDER_SERVER_URL: server.url,
        MENDER_ACCESS_TOKEN: TOKEN,
        ...SECRETS,
        GIT_AUTHOR_NAME: 'readme',
        GIT_AUTHOR_EMAIL: 'readme@example.org',
        GIT_COMMITTER_NAME: 'readme',
        GIT_COMMITTER_EMAIL: 'readme@example.org',
        GIT_CONFIG_NOSYSTEM: '1',
      };
      const tarball = join(scratch, packed.filename);
      // In order: later commands build on earlier ones (the install, a branch, an edit).
      for (const c of toRun) ran.set(c, await sh(SUBSTITUTE[c.text]?.(tarball) ?? c.text, dir, env));
    }, 300_000);

    afterAll(async () => {
      await server?.close();
      for (const d of [dir, scratch]) if (d) rmSync(d, { recursive: true, force: true });
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

    test('the package ships what init and the fallback playbook read', () => {
      const files = new Set(packed.files.map((f) => f.path));
      for (const f of [
        'templates/fleet/gitignore',
        'templates/fleet/inventory/hosts.yml',
        'workflows/update-fleet.yml',
      ])
        expect(files).toContain(f);
      expect(files).toContain('playbooks/roles/os_update/tasks/main.yml');
    });

    test('the set-up left the fleet repository init describes, fleetplay installed from the package', () => {
      for (const f of ['fleetplay.yml', '.github/workflows/update-fleet.yml', 'package-lock.json', 'README.md'])
        expect(existsSync(join(dir, f))).toBe(true);
      expect(existsSync(join(dir, 'playbooks'))).toBe(false);
      expect(existsSync(join(dir, 'node_modules/fleetplay/dist/cli/main.js'))).toBe(true);
      const pkg = z
        .object({ devDependencies: z.record(z.string(), z.string()) })
        .parse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
      expect(pkg.devDependencies.fleetplay).toMatch(/^file:.*fleetplay-\d+\.\d+\.\d+\.tgz$/);
      // Committed without node_modules (init's .gitignore).
      expect(execFileSync('git', ['ls-files', 'node_modules'], { cwd: dir, encoding: 'utf8' })).toBe('');
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
