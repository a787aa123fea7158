/**
 * `--diff` and dry-run-debug on the mender_* modules, through the engine against the embedded
 * server: the configuration diff (what is configured → what the repository wants) and the OS
 * diff (installed → desired artifact) are printed as ansible prints diffs, secret-looking values
 * masked in every mode; without diff mode nothing of it is printed.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunOptions } from '../../../src/engine/run.js';
import '../../../src/modules/mender/index.js';
import { testServer, value, TOKEN, type TestServer } from '../../ota/helpers.js';

const A = '6b000000-0000-4000-8000-00000000000a';
const B = '6b000000-0000-4000-8000-00000000000b';
const OLD_SECRET = 'old-api-token-5f1e2d3c';
const NEW_SECRET = 'new-api-token-9a8b7c6d';

const SPEC = {
  artifacts: [
    { name: 'os-1.0', device_types_compatible: ['raspberrypi4'] },
    { name: 'os-1.1', device_types_compatible: ['raspberrypi4'] },
  ],
  devices: [
    { id: A, device_type: 'raspberrypi4', artifact_name: 'os-1.0' },
    { id: B, device_type: 'raspberrypi4', artifact_name: 'os-1.1' },
  ],
};

// The token is written in the playbook itself, not read from the environment: its key name
// (api_token) is what makes it secret — the new value and the old one the server holds.
const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: OS image
      mender_os_update:
        artifact: os-1.1
    - name: device configuration
      mender_config:
        config:
          kiosk_url: "https://kiosk.example/{{ inventory_hostname[-1] }}"
          api_token: ${NEW_SECRET}
          display: {brightness: 80, rotate: 0}
`;

function fleetRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-diff-'));
  for (const [p, text] of Object.entries({
    'site.yml': PLAYBOOK,
    'inventory/hosts.yml': `all:\n  hosts:\n    ${A}: {}\n    ${B}: {}\n`,
  })) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** The diff block printed for one device: from its `--- before: DEVICE` line to the blank line. */
function block(text: string, device: string, kind: string): string {
  const start = text.indexOf(`--- before: ${device} (${kind}`);
  return start < 0 ? '' : text.slice(start, text.indexOf('\n\n', start));
}

describe('diffs of the mender modules', () => {
  let srv: TestServer;
  let dir: string;
  beforeEach(async () => {
    srv = await testServer({ spec: SPEC });
    value(
      await srv.client().setDeviceConfig(A, {
        kiosk_url: 'https://kiosk.example/old',
        api_token: OLD_SECRET,
        display: '{"brightness":60,"rotate":0}',
      }),
    );
    dir = fleetRepo();
  });
  afterEach(() => srv.close());

  const run = async (o: Partial<RunOptions>) => {
    let text = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    const report = join(dir, 'report.json');
    const r = await runPlaybook({
      playbook: join(dir, 'site.yml'),
      inventory: [join(dir, 'inventory')],
      stdout,
      report,
      env: { PATH: process.env.PATH, MENDER_SERVER_URL: srv.url, MENDER_ACCESS_TOKEN: TOKEN },
      ...o,
    });
    return { r, text, report: readFileSync(report, 'utf8') };
  };
  const writes = async () =>
    (await srv.requests()).filter((q) => q.method !== 'GET' && !/filters\/search$|statistics\/list$/.test(q.path));

  test('--diff prints the configuration and OS diffs before the changed lines, secrets masked', async () => {
    const { r, text, report } = await run({ mode: 'run', diff: true });
    expect(r.exitCode).toBe(0);
    expect(block(text, A, 'configured')).toBe(
      [
        `--- before: ${A} (configured on the server)`,
        `+++ after: ${A} (desired)`,
        '@@ -1,8 +1,8 @@',
        ' {',
        // rotated: neither value shows, only that it changes
        '-    "api_token": "********",',
        '+    "api_token": "******** (changed)",',
        '     "display": {',
        '-        "brightness": 60,',
        '+        "brightness": 80,',
        '         "rotate": 0',
        '     },',
        '-    "kiosk_url": "https://kiosk.example/old"',
        '+    "kiosk_url": "https://kiosk.example/a"',
        ' }',
      ].join('\n'),
    );
    // A device without configuration: everything is added.
    expect(block(text, B, 'reported')).toContain('+    "kiosk_url": "https://kiosk.example/b"');
    expect(block(text, A, 'installed')).toBe(
      [
        `--- before: ${A} (installed)`,
        `+++ after: ${A} (desired)`,
        '@@ -1 +1 @@',
        '-artifact_name: os-1.0',
        '+artifact_name: os-1.1',
      ].join('\n'),
    );
    // Printed before the host's result line, as ansible does; B already runs os-1.1: no OS diff.
    expect(text.indexOf(`changed: [${A}]`)).toBeGreaterThan(text.indexOf(`+artifact_name: os-1.1`));
    expect(block(text, B, 'installed')).toBe('');
    for (const out of [text, report]) {
      expect(out).not.toContain(NEW_SECRET);
      expect(out).not.toContain(OLD_SECRET);
    }
    // The diff only shows what is written: the server now has the desired configuration.
    expect(value(await srv.client().getDeviceConfig(A)).configured).toMatchObject({
      api_token: NEW_SECRET,
      kiosk_url: 'https://kiosk.example/a',
    });
  });

  test('dry-run-debug prints the same diffs, writes nothing, and keeps secrets masked even at -vvv', async () => {
    await srv.admin('DELETE', 'requests');
    const { r, text, report } = await run({ mode: 'dry-run-debug', verbosity: 3 });
    expect(r.exitCode).toBe(0);
    expect(block(text, A, 'configured')).toContain('+    "kiosk_url": "https://kiosk.example/a"');
    expect(block(text, A, 'configured')).toContain('+    "api_token": "******** (changed)",');
    expect(block(text, A, 'installed')).toContain('+artifact_name: os-1.1');
    // -vvv also shows the result's diff field (ansible hides it below -vvv): masked there too.
    expect(text).toMatch(/changed: \[[^\]]+\] => \{\n {4}"action": "deploy",\n {4}"changed": true,\n {4}"diff": \{/);
    expect(text).not.toContain(NEW_SECRET);
    expect(report).not.toContain(NEW_SECRET);
    expect(await writes()).toEqual([]);
  });

  test('without --diff no diff is printed, though the same changes are reported', async () => {
    const { r, text } = await run({ mode: 'dry-run', verbosity: 1 });
    expect(r.exitCode).toBe(0);
    expect(r.recap[A].changed).toBe(2);
    expect(text).not.toMatch(/^(---|\+\+\+|@@) /m);
    expect(text).not.toContain('"diff"');
    expect(r.report.diff).toBe(false);
  });
});
