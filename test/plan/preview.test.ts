/**
 * `fleetplay plan --comment` on a pull request: a real fleet repository with GitHub's merge commit
 * checked out, the embedded OTA server, and a stand-in GitHub whose every request is checked
 * against GitHub's published OpenAPI description.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';
import { PLAN_MARKER } from '../../src/plan/comment.js';
import { ABSENT_SECRET } from '../../src/plan/offline.js';
import { previewPullRequest } from '../../src/plan/preview.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';
import {
  DEV,
  eachTestFleet,
  ensureBuilt,
  fleetplayCli,
  runIn,
  SECRETS,
  serverWrites,
  TOKEN,
  type FleetRepo,
} from '../stage/helpers.js';

const fleet = eachTestFleet();
const contract = new GitHubContract();
const GH_TOKEN = 'ghs_planPreviewToken0123456789abcdef';
const PR = 7;
let gh: FakeGitHub;
let scratch: string;

beforeEach(async () => {
  gh = await startFakeGitHub({ prefix: '/api/v3' });
  scratch = mkdtempSync(join(tmpdir(), 'fleetplay-pr-'));
});
afterEach(async () => {
  await gh.close();
  clearSecretsForTests();
});

/** The stage's group_vars/all.yml with the Raspberry Pi 4 image at `version`. */
const bumpPi4 = (repo: FleetRepo, version: string, stage = 'main'): string =>
  `${repo.git('show', `${stage}:inventory/group_vars/all.yml`)}\n`.replace(
    'fleet-os-1.0.0-raspberrypi4',
    `fleet-os-${version}-raspberrypi4`,
  );

/** The sample inventory with ③ kiosk-central-station moved from production to canary. */
function moveKioskToCanary(repo: FleetRepo): string {
  const text = readFileSync(join(repo.dir, 'inventory/hosts.yml'), 'utf8');
  const line = '        kiosk-central-station:  # ③ Raspberry Pi 3: kiosk at the central station\n';
  expect(text).toContain(line);
  return text.replace(line, '').replace('    canary:\n      hosts:\n', `    canary:\n      hosts:\n${line}`);
}

/** GitHub's refs/pull/N/merge: the head merged into the base, checked out detached. */
function mergeRef(repo: FleetRepo, base: string, head: string): string {
  repo.git('checkout', '-q', '--detach', base);
  repo.git('merge', '-q', '--no-ff', '--no-edit', head);
  return repo.git('rev-parse', 'HEAD');
}

function eventFile(repo: FleetRepo, headRepo: string, base = 'main'): string {
  const path = join(scratch, 'event.json');
  const sha = (ref: string) => repo.git('rev-parse', ref);
  writeFileSync(
    path,
    JSON.stringify({
      action: 'synchronize',
      number: PR,
      pull_request: {
        number: PR,
        base: { ref: base, sha: sha(base), repo: { full_name: 'acme/fleet' } },
        head: { ref: 'release', sha: sha('release'), repo: { full_name: headRepo } },
      },
    }),
  );
  return path;
}

async function preview(repo: FleetRepo, env: Record<string, string | undefined>) {
  let out = '';
  const code = await previewPullRequest({
    playbook: 'playbooks/manage-fleet.yml',
    inventory: ['inventory'],
    cwd: repo.dir,
    extraVars: { mender_server: fleet.srv.url, mender_api: { base_delay_ms: 5, max_delay_ms: 40 } },
    env: {
      PATH: process.env.PATH,
      GITHUB_TOKEN: GH_TOKEN,
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_API_URL: gh.url,
      GITHUB_STEP_SUMMARY: join(scratch, 'summary.md'),
      ...env,
    },
    stdout: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
  });
  return { code, out };
}

/** Every request the stand-in GitHub got, as `operationId` — each checked against the description. */
function operations(): string[] {
  return gh.requests.map((req, i) => {
    const op = contract.findOperation(req.method, req.path.slice(gh.prefix.length));
    expect(op).toBeDefined();
    expect(contract.checkRequest(req, op!.operationId, gh.prefix)).toEqual([]);
    const reply = gh.replies[i];
    expect(contract.checkResponse(op!.operationId, reply.status, reply.body)).toEqual([]);
    return op!.operationId;
  });
}

const ours = () => gh.comments.comments.filter((c) => c.body.includes(PLAN_MARKER));

describe('the plan on a pull request', () => {
  let converged: Awaited<ReturnType<typeof serverWrites>>;
  beforeEach(async () => {
    // main has converged: the devices following it run and are configured as it says.
    expect((await runIn(fleet.repo, fleet.srv, { mode: 'run' })).exitCode).toBe(ExitCode.ok);
    converged = await serverWrites(fleet.srv);
    fleet.repo.git('checkout', '-qb', 'release', 'main');
    fleet.repo.commit(
      'release',
      {
        'inventory/group_vars/all.yml': bumpPi4(fleet.repo, '1.1.0'),
        'inventory/hosts.yml': moveKioskToCanary(fleet.repo),
      },
      'fleet-os 1.1.0 for the Raspberry Pi 4; the central station kiosk to canary',
    );
  });

  it('is one comment, created on the first push and updated in place on the next, never a secret', async () => {
    // Other people talk on the pull request too: 120 comments, so ours is on the second page.
    for (let i = 0; i < 120; i++) gh.comments.add(PR, `review note ${i}`);
    const merge = mergeRef(fleet.repo, 'main', 'release');
    const env = { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS, GITHUB_EVENT_PATH: eventFile(fleet.repo, 'acme/fleet') };
    const first = await preview(fleet.repo, env);
    expect(first.code).toBe(ExitCode.ok);
    expect(operations()).toEqual(['issues/list-comments', 'issues/list-comments', 'issues/create-comment']);
    expect(ours()).toHaveLength(1);
    expect(ours()[0].body).toBe(first.out);
    expect(first.out).toBe(sampleComment(merge));
    // docs/github.md shows it, with the commit of the run that made it.
    const docs = readFileSync(join(process.cwd(), 'docs/github.md'), 'utf8');
    const shown = /## fleetplay plan for `main` — pull request #7 at `([0-9a-f]{12})`/.exec(docs)?.[1];
    expect(docs).toContain(first.out.replace(merge.slice(0, 12), shown ?? '(not in the docs)'));
    expect(readFileSync(join(scratch, 'summary.md'), 'utf8')).toBe(first.out);
    for (const secret of [...Object.values(SECRETS), TOKEN, GH_TOKEN]) expect(first.out).not.toContain(secret);

    // A second push to the pull request: 1.2.0 instead.
    fleet.repo.commit('release', { 'inventory/group_vars/all.yml': bumpPi4(fleet.repo, '1.2.0') }, '1.2.0 instead');
    mergeRef(fleet.repo, 'main', 'release');
    gh.requests.length = 0;
    gh.replies.length = 0;
    const second = await preview(fleet.repo, { ...env, GITHUB_EVENT_PATH: eventFile(fleet.repo, 'acme/fleet') });
    expect(second.code).toBe(ExitCode.ok);
    expect(operations()).toEqual(['issues/list-comments', 'issues/list-comments', 'issues/update-comment']);
    expect(ours()).toHaveLength(1);
    expect(ours()[0].body).toBe(second.out);
    expect(second.out).toContain('fleet-os-1.0.0-raspberrypi4 → fleet-os-1.2.0-raspberrypi4');
    expect(second.out).not.toContain('1.1.0');
    expect(gh.comments.comments).toHaveLength(121);
    // Dry runs: nothing more was written to the OTA server than the converging run wrote.
    expect(await serverWrites(fleet.srv)).toEqual(converged);
  });

  it('from a fork (no secrets, no OTA token): the plan from the repository alone, saying so; the OTA server is not asked', async () => {
    mergeRef(fleet.repo, 'main', 'release');
    const asked = (await fleet.srv.requests()).length;
    const r = await preview(fleet.repo, { GITHUB_EVENT_PATH: eventFile(fleet.repo, 'contributor/fleet') });
    expect(r.code).toBe(ExitCode.ok);
    expect((await fleet.srv.requests()).length).toBe(asked);
    expect(operations()).toEqual(['issues/list-comments', 'issues/create-comment']);
    expect(ours().map((c) => c.body)).toEqual([r.out]);
    expect(r.out).toContain('> **Live device state was not consulted.** This pull request comes from a fork');
    expect(r.out).toContain(`| kiosk-central-station | \`${DEV.kioskCentral}\` | production | canary |`);
    // What main's tree asked for against what the merged tree asks for.
    expect(r.out).toContain(
      `| kiosk-next | \`${DEV.kioskNext}\` | fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4 | ~os_image |`,
    );
    expect(r.out).toContain(
      '7 devices: 1 to update OS, 1 to set configuration, 0 waiting, 0 failing, 0 unchanged, 6 on another stage',
    );
    expect(r.out).not.toContain('Hosts that would fail');
    expect(r.out).not.toContain(ABSENT_SECRET);
  });
});

describe('a pull request into a branch that is not a stage (fleetplay.yml)', () => {
  it('has no plan: it says so, exits 0, and asks neither GitHub nor the OTA server', async () => {
    fleet.repo.git('checkout', '-qb', 'release', 'main');
    fleet.repo.commit('release', { 'inventory/group_vars/all.yml': bumpPi4(fleet.repo, '1.1.0') });
    fleet.repo.git('checkout', '-qb', 'feature', 'main');
    fleet.repo.commit('feature', {
      'inventory/group_vars/canary.yml': 'subscribed_branch: canary\nkiosk_enabled: true\n',
    });
    mergeRef(fleet.repo, 'feature', 'release');
    const r = await preview(fleet.repo, {
      MENDER_ACCESS_TOKEN: TOKEN,
      ...SECRETS,
      GITHUB_EVENT_PATH: eventFile(fleet.repo, 'acme/fleet', 'feature'),
    });
    expect(r).toEqual({
      code: ExitCode.ok,
      out: `fleetplay: feature is not a stage branch (main → canary → production, the default; fleetplay.yml changes it): no plan for pull request #${PR}\n`,
    });
    expect(gh.requests).toEqual([]);
    expect(await fleet.srv.requests()).toEqual([]);
  });
});

describe('devices added, removed and failing', () => {
  it('lists them by name and id, each failure with its task, file:line and message; the check fails', async () => {
    fleet.repo.git('checkout', '-qb', 'release', 'main');
    const hosts = readFileSync(join(fleet.repo.dir, 'inventory/hosts.yml'), 'utf8')
      .replace('        legacy-pi2:  # ① Raspberry Pi 2: legacy device that must still be maintained\n', '')
      .replace('        legacy-pi2:  # ①\n', '')
      .replace(
        '        kiosk-next:  # ⑦ Raspberry Pi 4: kiosk that gets what the team releases next\n',
        (l) => `${l}        kiosk-airport:\n`,
      );
    const airport = '0f0f0f0f-1111-4222-8333-444455556666';
    fleet.repo.commit('release', {
      'inventory/hosts.yml': hosts,
      'inventory/host_vars/kiosk-airport.yml': `mender_device_id: ${airport}\ndevice_type: raspberrypi3\n`,
      // No image for the Raspberry Pi 4 any more: kiosk-next would fail.
      'inventory/group_vars/all.yml': bumpPi4(fleet.repo, '1.0.0').replace(/^ {2}raspberrypi4: .*\n/m, ''),
    });
    mergeRef(fleet.repo, 'main', 'release');
    const r = await preview(fleet.repo, {
      MENDER_ACCESS_TOKEN: TOKEN,
      ...SECRETS,
      GITHUB_EVENT_PATH: eventFile(fleet.repo, 'acme/fleet'),
    });
    expect(r.code).toBe(ExitCode.hostFailed);
    expect(r.out).toContain(
      [
        '### Added to the inventory (1)',
        '',
        '| Device | Id | Stage |',
        '| --- | --- | --- |',
        `| kiosk-airport | \`${airport}\` | main |`,
      ].join('\n'),
    );
    expect(r.out).toContain(
      [
        '### Removed from the inventory (1)',
        '',
        '| Device | Id | Stage |',
        '| --- | --- | --- |',
        `| legacy-pi2 | \`${DEV.legacy}\` | production |`,
      ].join('\n'),
    );
    // An unknown device fails today; the plan/apply rework reports it as unreachable, as ansible would.
    expect(r.out).toMatch(
      new RegExp(
        `^\\| kiosk-airport( \\(unreachable\\))? \\| subscription : Read what the OTA server knows about each device \\(playbooks/roles/subscription/tasks/main\\.yml:\\d+\\) \\| device ${airport} is not known to the OTA server`,
        'm',
      ),
    );
    expect(r.out).toContain(
      '7 devices: 0 to update OS, 0 to set configuration, 0 waiting, 2 failing, 0 unchanged, 5 on another stage',
    );
    expect(r.out).toMatch(
      /^\| kiosk-next \| desired_state : Fail when no OS image is set for the device type \(playbooks\/roles\/desired_state\/tasks\/main\.yml:\d+\) \| no OS image for device type raspberrypi4: /m,
    );
    expect(ours().map((c) => c.body)).toEqual([r.out]);
  });
});

describe('from a fork', () => {
  beforeEach(() => {
    fleet.repo.git('checkout', '-qb', 'release', 'production');
    fleet.repo.commit('release', { 'inventory/group_vars/all.yml': bumpPi4(fleet.repo, '1.1.0', 'production') });
    mergeRef(fleet.repo, 'production', 'release');
  });

  it('a device whose configuration reads secrets plans without them, and no stand-in value shows', async () => {
    const r = await preview(fleet.repo, {
      GITHUB_EVENT_PATH: eventFile(fleet.repo, 'contributor/fleet', 'production'),
    });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.out).toContain('## fleetplay plan for `production`');
    // gha-runner's configuration reads GHRUNNER_TOKEN: without it the host would fail.
    expect(r.out).toContain(
      `| gha-runner | \`${DEV.runner}\` | fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4 | ~os_image |`,
    );
    expect(r.out).not.toContain('Hosts that would fail');
    expect(r.out).not.toContain(ABSENT_SECRET);
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });

  it('a read-only token (a fork on a public repository): the comment is refused, the job summary has the plan', async () => {
    await gh.close();
    gh = await startFakeGitHub({
      prefix: '/api/v3',
      respond: (req) =>
        req.method === 'POST'
          ? {
              status: 403,
              body: {
                message: 'Resource not accessible by integration',
                documentation_url: 'https://docs.github.com/rest',
              },
            }
          : undefined,
    });
    const r = await preview(fleet.repo, {
      GITHUB_EVENT_PATH: eventFile(fleet.repo, 'contributor/fleet', 'production'),
    });
    expect(r.code).toBe(ExitCode.ok);
    expect(gh.requests.map((q) => q.method)).toEqual(['GET', 'POST']);
    expect(gh.comments.comments).toEqual([]);
    expect(readFileSync(join(scratch, 'summary.md'), 'utf8')).toBe(r.out);
    expect(r.out).toContain('Live device state was not consulted');
  });

  it('the same refusal on a pull request of the repository itself is an error; its plan shows secret keys, never values', async () => {
    await gh.close();
    gh = await startFakeGitHub({
      prefix: '/api/v3',
      respond: (req) => (req.method === 'POST' ? { status: 403, body: { message: 'Forbidden' } } : undefined),
    });
    const r = await preview(fleet.repo, {
      MENDER_ACCESS_TOKEN: TOKEN,
      ...SECRETS,
      GITHUB_EVENT_PATH: eventFile(fleet.repo, 'acme/fleet', 'production'),
    });
    expect(r.code).toBe(ExitCode.usage);
    // Live state was read: this pull request gets secrets, and the runner's configuration uses one.
    expect(r.out).not.toContain('Live device state was not consulted');
    expect(r.out).toMatch(/^\| gha-runner \| .*\+gharunner_token/m);
    for (const secret of Object.values(SECRETS)) expect(r.out).not.toContain(secret);
  });
});

describe('the fleetplay bin', () => {
  beforeAll(ensureBuilt, 180_000);

  it("plan --comment in the workflow step's environment; without a pull request event it says what is missing", async () => {
    fleet.repo.git('checkout', '-qb', 'release', 'main');
    fleet.repo.commit('release', { 'inventory/group_vars/all.yml': bumpPi4(fleet.repo, '1.1.0') });
    mergeRef(fleet.repo, 'main', 'release');
    const env = {
      GITHUB_TOKEN: GH_TOKEN,
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_API_URL: gh.url,
      MENDER_ACCESS_TOKEN: TOKEN,
      MENDER_SERVER_URL: fleet.srv.url,
      ...SECRETS,
    };
    const r = await fleetplayCli(fleet.repo.dir, ['plan', '--comment'], {
      ...env,
      GITHUB_EVENT_PATH: eventFile(fleet.repo, 'acme/fleet'),
    });
    expect(r.code).toBe(ExitCode.ok);
    expect(operations()).toEqual(['issues/list-comments', 'issues/create-comment']);
    expect(ours().map((c) => c.body)).toEqual([r.stdout]);
    expect(r.stdout).toContain('fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4');
    const none = await fleetplayCli(fleet.repo.dir, ['plan', '--comment'], env);
    expect(none.code).toBe(ExitCode.usage);
    expect(none.out).toContain('ERROR! GITHUB_EVENT_PATH is not set: no pull request known');
    expect(ours()).toHaveLength(1);
  });
});

/** The comment for the sample fleet, from the sample's own names, ids and images. */
function sampleComment(merge: string): string {
  return [
    PLAN_MARKER,
    `## fleetplay plan for \`main\` — pull request #${PR} at \`${merge.slice(0, 12)}\``,
    '',
    'What a run of `main` would do after the merge: a dry run of the merged tree against the OTA server (nothing was written).',
    '',
    '### Stage moves (1, the inventory was edited)',
    '',
    '| Device | Id | From | To |',
    '| --- | --- | --- | --- |',
    `| kiosk-central-station | \`${DEV.kioskCentral}\` | production | canary |`,
    '',
    '### Devices that change',
    '',
    '7 devices: 1 to update OS, 1 to set configuration, 0 waiting, 0 failing, 0 unchanged, 6 on another stage',
    '',
    '| Device | Id | OS | Configuration |',
    '| --- | --- | --- | --- |',
    `| kiosk-next | \`${DEV.kioskNext}\` | fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4 | ~os_image |`,
    '',
  ].join('\n');
}
