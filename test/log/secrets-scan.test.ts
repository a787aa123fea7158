/**
 * Secrets stay secret, also derived and old ones: the sample fleet with a custom device
 * configuration template, its secrets rotated, every command's every output scanned for every
 * secret value in every spelling a leak could take.
 *
 * - rotated: the server holds (configured, and reported by the device) the old INFLUXDB_TOKEN,
 *   GHRUNNER_TOKEN and WIFI_PSK; the environment has new ones.
 * - derived: the template writes `("fleet:" ~ lookup('env', 'INFLUXDB_TOKEN')) | b64encode`.
 * - declared: WIFI_PSK (a name that does not look secret) feeds `wifi_psk`, declared secret in
 *   fleetplay.yml (`secret_keys:`).
 *
 * Outputs: run -vvv --diff --report (stdout, stderr, report.json, job summary), plan --format
 * text / markdown / json, plan --comment (the comment and every request GitHub got, its job
 * summary), monitor (table, --json, --html, job summary, commit status requests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import {
  allVarsWithImage,
  DEV,
  eachTestFleet,
  ensureBuilt,
  fleetplayCli,
  ROOT,
  runIn,
  TOKEN,
  type FleetRepo,
} from '../stage/helpers.js';

const fleet = eachTestFleet();
const GH_TOKEN = 'ghs_scanGitHubToken0123456789abcdef';

/** Old (what the server holds) and new (the environment) values; + / = " & so each spelling differs. */
const OLD = {
  INFLUXDB_TOKEN: 'influx-OLD+tok/7Q=="a"&b',
  GHRUNNER_TOKEN: 'ghr-OLD+run/5Z==x',
  WIFI_PSK: 'psk-OLD wifi/9+p&q',
};
const NEW = {
  INFLUXDB_TOKEN: 'influx-NEW+tok/8R=="c"&d',
  GHRUNNER_TOKEN: 'ghr-NEW+run/6Y==y',
  WIFI_PSK: 'psk-NEW wifi/3+r&s',
};
const derived = (token: string) => Buffer.from(`fleet:${token}`).toString('base64');

/** Every value that must never be seen: the credentials, old and new secrets, the derived ones. */
const SECRET_VALUES: Record<string, string> = {
  MENDER_ACCESS_TOKEN: TOKEN,
  GITHUB_TOKEN: GH_TOKEN,
  ...Object.fromEntries(Object.entries(OLD).map(([k, v]) => [`old ${k}`, v])),
  ...Object.fromEntries(Object.entries(NEW).map(([k, v]) => [`new ${k}`, v])),
  'old derived influx_auth': derived(OLD.INFLUXDB_TOKEN),
  'new derived influx_auth': derived(NEW.INFLUXDB_TOKEN),
};

/** The spellings of a value a leak could take. */
export function spellings(value: string): Record<string, string> {
  const b64 = Buffer.from(value).toString('base64');
  return {
    raw: value,
    base64: b64,
    base64url: Buffer.from(value).toString('base64url'),
    'url-encoded': encodeURIComponent(value),
    'json-escaped': JSON.stringify(value).slice(1, -1),
  };
}

/** `what` (secret × spelling) found in `outputs`, as "output: secret (spelling)". */
export function scan(outputs: Record<string, string>, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [out, text] of Object.entries(outputs))
    for (const [name, value] of Object.entries(secrets))
      for (const [form, s] of Object.entries(spellings(value)))
        if (text.includes(s)) found.push(`${out}: ${name} (${form})`);
  return found;
}

const TEMPLATE = 'playbooks/roles/desired_state/templates/device-config.json.j2';

/** The shipped template with a WiFi key from WIFI_PSK and a value derived from the InfluxDB token. */
function customTemplate(): string {
  const shipped = readFileSync(join(ROOT, TEMPLATE), 'utf8');
  const extra = [
    '  "influx_auth": {{ ("fleet:" ~ lookup(\'env\', \'INFLUXDB_TOKEN\')) | b64encode | to_json }},',
    "  \"wifi_psk\": {{ lookup('env', 'WIFI_PSK') | to_json }},",
    '  "influxdb_server"',
  ].join('\n');
  expect(shipped).toContain('  "influxdb_server"');
  return shipped.replace('  "influxdb_server"', extra);
}

/** production carries the custom template and declares wifi_psk secret; every image at 1.1.0. */
function fleetOnProduction(repo: FleetRepo): void {
  repo.commit('production', {
    'fleetplay.yml': 'stages: [main, canary, production]\nsecret_keys: [wifi_psk]\n',
    [TEMPLATE]: customTemplate(),
    'inventory/group_vars/all.yml': allVarsWithImage('1.1.0'),
  });
}

let gh: FakeGitHub;
let scratch: string;
beforeAll(ensureBuilt, 180_000);
beforeEach(async () => {
  gh = await startFakeGitHub({ prefix: '/api/v3' });
  scratch = mkdtempSync(join(tmpdir(), 'fleetplay-scan-'));
});
afterEach(async () => {
  await gh.close();
  rmSync(scratch, { recursive: true, force: true });
});

const file = (name: string) => join(scratch, name);
const read = (name: string) => readFileSync(file(name), 'utf8');

describe('secrets in every output', () => {
  it('old, new, derived and declared secrets: none in any spelling in any output', async () => {
    fleetOnProduction(fleet.repo);
    const cli = (args: string[], env: Record<string, string>) =>
      fleetplayCli(fleet.repo.dir, args, {
        MENDER_ACCESS_TOKEN: TOKEN,
        MENDER_SERVER_URL: fleet.srv.url,
        GITHUB_TOKEN: GH_TOKEN,
        GITHUB_REPOSITORY: 'acme/fleet',
        GITHUB_API_URL: gh.url,
        ...env,
      });

    // Before the rotation: the old secrets are configured, and the devices apply and report them.
    const seed = await cli(['run', '--mode', 'run'], OLD);
    expect(seed.code).toBe(ExitCode.ok);
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 3600 });
    const held = await fleet.srv.admin<{ configuration: { reported: Record<string, string> } }>(
      'GET',
      `devices/${DEV.hotspot}`,
    );
    expect(held.configuration.reported).toMatchObject({
      influxdb_token: OLD.INFLUXDB_TOKEN,
      influx_auth: derived(OLD.INFLUXDB_TOKEN),
      wifi_psk: OLD.WIFI_PSK,
    });
    await fleet.srv.admin('DELETE', 'requests');

    // After it: every output of every command, scanned.
    const outputs: Record<string, string> = {};
    const keep = (name: string, r: { code: number | null; out: string }, code: number = ExitCode.ok) => {
      if (r.code !== code) throw new Error(`${name}: exit ${r.code}\n${r.out}`);
      outputs[name] = r.out;
    };
    for (const format of ['text', 'markdown', 'json'])
      keep(`plan --format ${format}`, await cli(['plan', '--format', format], NEW));

    fleet.repo.git('checkout', '-qb', 'release', 'production');
    fleet.repo.commit('release', { 'inventory/group_vars/all.yml': allVarsWithImage('1.2.0') });
    fleet.repo.git('checkout', '-q', '--detach', 'production');
    fleet.repo.git('merge', '-q', '--no-ff', '--no-edit', 'release');
    writeFileSync(file('event.json'), JSON.stringify(pullRequestEvent(fleet.repo)));
    keep(
      'plan --comment',
      await cli(['plan', '--comment'], {
        ...NEW,
        GITHUB_EVENT_PATH: file('event.json'),
        GITHUB_STEP_SUMMARY: file('plan.md'),
      }),
    );
    outputs['plan --comment: job summary'] = read('plan.md');
    fleet.repo.checkout('production');

    const run = await cli(['run', '--mode', 'run', '-vvv', '--diff', '--report', file('report.json')], {
      ...NEW,
      GITHUB_STEP_SUMMARY: file('run.md'),
    });
    keep('run -vvv --diff', run);
    outputs['run: report.json'] = read('report.json');
    outputs['run: job summary'] = read('run.md');

    const monitorEnv = {
      ...NEW,
      GITHUB_STEP_SUMMARY: file('monitor.md'),
      GITHUB_SHA: fleet.repo.git('rev-parse', 'HEAD'),
    };
    keep('monitor --html', await cli(['monitor', '--html', file('monitor.html')], monitorEnv), ExitCode.inProgress);
    keep('monitor --json', await cli(['monitor', '--json'], monitorEnv), ExitCode.inProgress);
    outputs['monitor: HTML'] = read('monitor.html');
    outputs['monitor: job summary'] = read('monitor.md');
    // What was sent to GitHub, but the Authorization header (where GITHUB_TOKEN belongs).
    outputs['GitHub: every request (comment, statuses)'] = JSON.stringify(
      gh.requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.body })),
    );

    // The scan can see: each new and derived secret did reach the OTA server, inside the configuration.
    const sent = JSON.stringify(await fleet.srv.requests());
    expect(scan({ 'sent to the OTA server': sent }, SECRET_VALUES)).toEqual(
      expect.arrayContaining([
        'sent to the OTA server: new INFLUXDB_TOKEN (json-escaped)',
        'sent to the OTA server: new derived influx_auth (raw)',
        'sent to the OTA server: new WIFI_PSK (raw)',
      ]),
    );
    const found = scan(outputs, SECRET_VALUES);
    const checks = Object.keys(outputs).length * Object.keys(SECRET_VALUES).length * 5;
    process.stdout.write(
      `secrets scan: ${Object.keys(SECRET_VALUES).length} secret values × 5 spellings × ${Object.keys(outputs).length} outputs = ${checks} checks, ${found.length} found\n`,
    );
    expect(found).toEqual([]);
    // -vvv printed what the server holds, and --diff the change, keys and masks in place.
    expect(run.out).toMatch(/"configured": \{\n\s+"gharunner_account"/);
    for (const key of ['influxdb_token', 'influx_auth', 'wifi_psk', 'gharunner_token'])
      expect(run.out).toMatch(new RegExp(`^\\+\\s+"${key}": "\\*{8} \\(changed\\)",?$`, 'm'));
  }, 240_000);
});

describe('no_log', () => {
  afterEach(() => clearSecretsForTests());

  it('on the configuration task: no values in the printed result, the diff, the report or the plan; the keys stay', async () => {
    const tasks = 'playbooks/roles/config_update/tasks/main.yml';
    const text = readFileSync(join(ROOT, tasks), 'utf8');
    expect(text).toContain('    ignore: "{{ device_config_ignore }}"\n');
    fleet.repo.commit('production', {
      [tasks]: `${text}  no_log: "{{ inventory_hostname != 'legacy-pi2' }}"\n`,
      'inventory/host_vars/hotspot-wifi6.yml': readFileSync(
        join(ROOT, 'inventory/host_vars/hotspot-wifi6.yml'),
        'utf8',
      ).replace('influxdb_org: fleetplay', 'influxdb_org: org-value-hidden'),
    });
    fleet.repo.checkout('production');
    const r = await runIn(fleet.repo, fleet.srv, { mode: 'dry-run', diff: true, verbosity: 3 });
    expect({ code: r.exitCode, errors: r.errors, text: r.exitCode ? r.text : '' }).toEqual({
      code: 0,
      errors: [],
      text: '',
    });
    const hotspot = r.report.plan.find((p) => p.host === 'hotspot-wifi6')!;
    expect(hotspot.config).toMatchObject({
      action: 'set',
      added: expect.arrayContaining(['influxdb_org', 'os_image']),
    });
    expect(hotspot.config.action === 'set' && Object.values(hotspot.config.values ?? {})).toEqual(
      Array(hotspot.config.action === 'set' ? hotspot.config.added.length : 0).fill('********'),
    );
    // The host whose task is not no_log shows its values, so the keyword is what hid them.
    const legacy = r.report.plan.find((p) => p.host === 'legacy-pi2')!;
    expect(legacy.config.action === 'set' && legacy.config.values?.os_image).toBe('fleet-os-1.0.0-raspberrypi2');
    expect(r.text).toContain("the output has been hidden due to the fact that 'no_log: true'");
    // The value shows where a task without no_log printed it (set_fact), and nowhere after.
    const scheduled = r.text.slice(r.text.indexOf('TASK [config_update : Schedule the device configuration]'));
    expect(r.text.indexOf('org-value-hidden')).toBeGreaterThan(0);
    expect(scheduled).toContain('changed: [hotspot-wifi6] => {\n    "censored"');
    expect(scheduled).not.toContain('org-value-hidden');
    expect(JSON.stringify(r.report.plan)).not.toContain('org-value-hidden');
    const results = r.report.results.find((t) => t.action === 'mender_config');
    expect(JSON.stringify(results)).not.toContain('org-value-hidden');
  });
});

function pullRequestEvent(repo: FleetRepo) {
  const sha = (ref: string) => repo.git('rev-parse', ref);
  return {
    action: 'synchronize',
    number: 7,
    pull_request: {
      number: 7,
      base: { ref: 'production', sha: sha('production'), repo: { full_name: 'acme/fleet' } },
      head: { ref: 'release', sha: sha('release'), repo: { full_name: 'acme/fleet' } },
    },
  };
}
