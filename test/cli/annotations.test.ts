/**
 * Configuration errors as GitHub Actions annotations: with GITHUB_ACTIONS=true every command
 * prints its FleetErrors also as `::error file=…,line=…,col=…,title=fleetplay::message`
 * (warnings with a file as `::warning`), path relative to GITHUB_WORKSPACE, values escaped.
 * The built CLI runs in a temp fleet repository; nothing here needs an OTA server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { annotation, escapeData, escapeProperty } from '../../src/log/diagnostics.js';
import { clearSecretsForTests, registerSecret } from '../../src/log/secrets.js';
import { ROOT, ensureBuilt } from '../stage/helpers.js';

beforeAll(ensureBuilt, 120_000);

const U1 = '7a000000-0000-4000-8000-000000000001';
const U2 = '7a000000-0000-4000-8000-000000000002';
const PLAYBOOK = '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n';

/** A workspace (the repository root) with the fleet in its `fleet/` folder. */
function workspace(files: Record<string, string>): { root: string; fleet: string } {
  const root = mkdtempSync(join(tmpdir(), 'fleetplay-annotations-'));
  const fleet = join(root, 'fleet');
  for (const [path, text] of Object.entries({ 'site.yml': PLAYBOOK, ...files })) {
    mkdirSync(dirname(join(fleet, path)), { recursive: true });
    writeFileSync(join(fleet, path), text);
  }
  return { root, fleet };
}

function fleetplay(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

const DUPLICATE = { 'inventory/hosts.yml': `all:\n  hosts:\n    ${U1}:\n    ${U2}:\n    ${U1}:\n` };
const DUPLICATE_ANNOTATION =
  `file=fleet/inventory/hosts.yml,line=5,col=5,title=fleetplay::duplicate key "${U1}" (first at line 3): ` +
  'YAML would keep only the last one%0Ahint: merge the two entries into one, or remove one of them';

describe('GitHub Actions annotations through the CLI', () => {
  test('fleetplay run with a bad inventory: the readable error, and the annotation relative to GITHUB_WORKSPACE', () => {
    const w = workspace(DUPLICATE);
    const r = fleetplay(w.fleet, ['run', 'site.yml', '-i', 'inventory/', '--branch', 'main'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: w.root,
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`fleet/inventory/hosts.yml:5:5: duplicate key "${U1}"`);
    expect(r.out.split('\n')).toContain(`::error ${DUPLICATE_ANNOTATION}`);
    // One annotation per error, a multi-line message included.
    expect(r.out.match(/^::error /gm)).toHaveLength(1);
  });

  test('without GITHUB_ACTIONS no workflow command; without GITHUB_WORKSPACE paths are relative to the current directory', () => {
    const w = workspace(DUPLICATE);
    const plain = fleetplay(w.fleet, ['run', 'site.yml', '-i', 'inventory/', '--branch', 'main']);
    expect(plain.code).toBe(1);
    expect(plain.out).toContain('duplicate key');
    expect(plain.out).not.toContain('::error');
    const cwd = fleetplay(w.fleet, ['run', 'site.yml', '-i', 'inventory/', '--branch', 'main'], {
      GITHUB_ACTIONS: 'true',
    });
    expect(cwd.out).toMatch(/^::error file=inventory\/hosts\.yml,line=5,col=5,title=fleetplay::duplicate key/m);
  });

  test('a bad playbook: the annotation on its line', () => {
    const w = workspace({
      'site.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: x\n      no_such_module: {}\n',
      'inventory/hosts.yml': `all:\n  hosts:\n    ${U1}:\n`,
    });
    const r = fleetplay(w.fleet, ['run', 'site.yml', '-i', 'inventory/', '--branch', 'main'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: w.root,
    });
    expect(r.code).toBe(1);
    const line = r.out.split('\n').find((l) => l.startsWith('::error '));
    expect(line).toMatch(
      /^::error file=fleet\/site\.yml,line=5,title=fleetplay::unknown module "no_such_module"%0Ahint: /,
    );
  });

  test('fleetplay inventory list: a stray host_vars file is a ::warning; an inventory error an ::error', () => {
    const w = workspace({
      'inventory/hosts.yml': `all:\n  hosts:\n    ${U1}:\n`,
      'inventory/host_vars/7a000000-typo.yml': 'kiosk_enabled: true\n',
    });
    const env = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: w.root };
    const r = fleetplay(w.fleet, ['inventory', 'list'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^::warning file=fleet\/inventory\/host_vars\/7a000000-typo\.yml,title=fleetplay::host_vars for "7a000000-typo", which is not in the inventory%0Ahint: /m,
    );
    // fleetplay run says it too, as ansible says its warnings: `[WARNING]: ` on stderr.
    const run = fleetplay(w.fleet, ['run', 'site.yml', '-i', 'inventory/', '--branch', 'main'], env);
    expect(run.code).toBe(0);
    expect(run.out).toContain('[WARNING]: ');
    expect(run.out).toMatch(
      /host_vars\/7a000000-typo\.yml: host_vars for "7a000000-typo", which is not in the inventory/,
    );
    expect(run.out).toMatch(/^::warning file=fleet\/inventory\/host_vars\/7a000000-typo\.yml,title=fleetplay::/m);
    const bad = workspace(DUPLICATE);
    const e = fleetplay(bad.fleet, ['inventory', 'list'], { ...env, GITHUB_WORKSPACE: bad.root });
    expect(e.code).toBe(1);
    expect(e.out.split('\n')).toContain(`::error ${DUPLICATE_ANNOTATION}`);
  });

  test('fleetplay monitor with a bad inventory annotates it too; secrets are masked in the annotation', () => {
    const secret = 'dup-secret-host-4242';
    const w = workspace({ 'inventory/hosts.yml': `all:\n  hosts:\n    ${secret}:\n    ${secret}:\n` });
    // The monitor reads the deployed commit from the checkout first.
    const git = (...args: string[]) => execFileSync('git', args, { cwd: w.fleet, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'fleet');
    const r = fleetplay(
      w.fleet,
      ['monitor', '--playbook', 'site.yml', '-i', 'inventory/', '--branch', 'main', '--server', 'http://127.0.0.1:9'],
      { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: w.root, MENDER_ACCESS_TOKEN: secret },
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^::error file=fleet\/inventory\/hosts\.yml,line=4,col=5,title=fleetplay::.*duplicate key "\*\*\*\*\*\*\*\*"/m,
    );
    expect(r.out).not.toContain(secret);
  });
});

describe('workflow command escaping', () => {
  afterEach(() => clearSecretsForTests());

  test('property values escape % CR LF : and ,; the message escapes % CR LF only', () => {
    expect(escapeProperty('a,b:c%d\r\ne')).toBe('a%2Cb%3Ac%25d%0D%0Ae');
    expect(escapeData('a,b:c%d\r\ne')).toBe('a,b:c%25d%0D%0Ae');
    const root = mkdtempSync(join(tmpdir(), 'fleetplay-ws-'));
    mkdirSync(join(root, 'inv'));
    writeFileSync(join(root, 'inv', 'a,b:c%.yml'), '');
    const e = {
      code: 'x',
      file: join(root, 'inv', 'a,b:c%.yml'),
      line: 3,
      column: 7,
      message: '100% wrong: here,\r\nand here',
      hint: 'write x',
    };
    expect(annotation(e, 'error', { GITHUB_WORKSPACE: root })).toBe(
      '::error file=inv/a%2Cb%3Ac%25.yml,line=3,col=7,title=fleetplay::100%25 wrong: here,%0D%0Aand here%0Ahint: write x',
    );
  });

  test('no file: no annotation; a file outside the workspace: named in the message, not as a line; secrets masked', () => {
    registerSecret('s3cret-token');
    expect(annotation({ code: 'x', message: 'm' }, 'error', {})).toBeUndefined();
    const e = { code: 'x', file: '/elsewhere/hosts.yml', line: 2, message: 'bad s3cret-token' };
    expect(annotation(e, 'warning', { GITHUB_WORKSPACE: '/work/repo' })).toBe(
      '::warning title=fleetplay::/elsewhere/hosts.yml:2: bad ********',
    );
  });
});
