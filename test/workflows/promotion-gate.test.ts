/**
 * The promotion gate's "Source stage is green" step, its own script run by bash against a local
 * stand-in for GitHub's REST API (real curl and jq, as on the runner), with the requests and
 * answers checked against GitHub's published OpenAPI description.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';

interface Step {
  name?: string;
  run?: string;
  env?: Record<string, string>;
}

const contract = new GitHubContract();
const OP = 'repos/get-combined-status-for-ref';
const SHA = 'c0ffee'.padEnd(40, '0');
const TOKEN = 'ghs_gateSecretToken0123456789';
const workflow = parse(readFileSync(join(process.cwd(), 'workflows', 'promotion-gate.yml'), 'utf8')) as {
  jobs: { gate: { steps: Step[] } };
};
const step = workflow.jobs.gate.steps.find((s) => s.name === 'Source stage is green')!;

/**
 * A `run:` without `shell:` runs as `bash -e {0}` on Linux runners; GITHUB_API_URL is set by Actions.
 * Asynchronous: the stand-in answers from this process. --norc: bash on a socket would read ~/.bashrc.
 */
function gate(gh: FakeGitHub, head: string): Promise<{ status: number | null; out: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    GH_TOKEN: TOKEN,
    HEAD: head,
    SHA,
    REPO: 'acme/fleet',
    GITHUB_API_URL: gh.url,
  };
  const child = spawn('bash', ['--noprofile', '--norc', '-e', '-c', step.run!], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  let out = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (out += String(c)));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, out })));
}

/** What the step asked for: the page of each request, every one a documented call. */
function pagesRead(gh: FakeGitHub): string[] {
  gh.requests.forEach((q, i) => {
    expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([]);
    expect(contract.checkResponse(OP, gh.replies[i].status, gh.replies[i].body)).toEqual([]);
    expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
  return gh.requests.map((q) => new URLSearchParams(q.query).toString());
}

describe('promotion gate: the source stage is green', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await startFakeGitHub({ prefix: '/api/v3' });
  });
  afterEach(() => gh.close());

  const others = (n: number) => {
    for (let i = 1; i <= n; i++) gh.setStatus(SHA, `ci/check-${i}`, 'success');
  };

  test('the step receives what the test gives it', () => {
    expect(Object.keys(step.env ?? {}).sort()).toEqual(['GH_TOKEN', 'HEAD', 'REPO', 'SHA']);
  });

  test('finds fleetplay/<source> behind 150 other contexts (past the first page) and lets a green stage through', async () => {
    others(150);
    gh.setStatus(SHA, 'fleetplay/canary', 'pending');
    gh.setStatus(SHA, 'fleetplay/canary', 'success');
    const r = await gate(gh, 'canary');
    expect(r).toEqual({ status: 0, out: `fleetplay/canary on ${SHA.slice(0, 12)}: success\n` });
    expect(pagesRead(gh)).toEqual(['per_page=100&page=1', 'per_page=100&page=2']);
  });

  test('the latest status counts: pending, failure and missing are refused with a message', async () => {
    gh.setStatus(SHA, 'fleetplay/main', 'success');
    gh.setStatus(SHA, 'fleetplay/main', 'pending');
    gh.setStatus(SHA, 'fleetplay/canary', 'failure');
    const pending = await gate(gh, 'main');
    expect(pending.status).toBe(1);
    expect(pending.out).toContain(
      `::error::fleetplay/main is pending on ${SHA.slice(0, 12)}: wait until the main stage has converged`,
    );
    expect((await gate(gh, 'canary')).out).toContain('::error::fleetplay/canary is failure');
    expect(pagesRead(gh)).toEqual(['per_page=100&page=1', 'per_page=100&page=1']);
  });

  test('a stage the monitor never reported on: every page read, then refused as missing', async () => {
    others(250);
    const r = await gate(gh, 'canary');
    expect(r.status).toBe(1);
    expect(r.out).toContain(`fleetplay/canary on ${SHA.slice(0, 12)}: missing\n::error::fleetplay/canary is missing`);
    expect(pagesRead(gh)).toEqual(['per_page=100&page=1', 'per_page=100&page=2', 'per_page=100&page=3']);
  });

  test('GitHub refusing the read fails the gate with a message, without the token', async () => {
    await gh.close();
    gh = await startFakeGitHub({
      prefix: '/api/v3',
      respond: () => ({ status: 401, body: { message: 'Bad credentials' } }),
    });
    const r = await gate(gh, 'canary');
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/error: 401[\s\S]*::error::cannot read the commit statuses of c0ffee000000/);
    expect(r.out).not.toContain(TOKEN);
  });
});
