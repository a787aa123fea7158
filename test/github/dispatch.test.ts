/**
 * dispatchWorkflow against the local GitHub stand-in, each request checked against GitHub's
 * OpenAPI description (contract/github.json: actions/create-workflow-dispatch).
 */
import { clearSecretsForTests } from '../../src/log/secrets.js';
import { dispatchWorkflow } from '../../src/github/index.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { GitHubContract } from './openapi.js';

const TOKEN = 'ghs_fleetplayDispatch0123456789';
const OP = 'actions/create-workflow-dispatch';
const contract = new GitHubContract();

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub({ prefix: '/api/v3' });
});
afterEach(async () => {
  await gh.close();
  clearSecretsForTests();
});

test('starts update-fleet.yml on the branch with mode run: the request GitHub documents, its 204 read', async () => {
  const r = await dispatchWorkflow({
    token: TOKEN,
    repository: 'acme/fleet',
    ref: 'production',
    inputs: { mode: 'run' },
    baseUrl: gh.url,
  });
  expect(r).toEqual({ ok: true, value: { sent: true, workflow: 'update-fleet.yml', ref: 'production' } });
  expect(gh.requests).toHaveLength(1);
  const [q] = gh.requests;
  expect(q.path).toBe('/api/v3/repos/acme/fleet/actions/workflows/update-fleet.yml/dispatches');
  expect(JSON.parse(q.body)).toEqual({ ref: 'production', inputs: { mode: 'run' } });
  expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([]);
  expect(contract.checkResponse(OP, gh.replies[0].status, gh.replies[0].body)).toEqual([]);
});

test('the contract check catches a body GitHub would refuse (no ref, too many inputs)', () => {
  const q = {
    method: 'POST',
    path: '/api/v3/repos/acme/fleet/actions/workflows/update-fleet.yml/dispatches',
    headers: {
      'user-agent': 'x',
      authorization: 'token t',
      accept: 'application/vnd.github.v3+json',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ inputs: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`k${i}`, 'v'])) }),
  };
  expect(contract.checkRequest(q, OP, '/api/v3')).toEqual([
    "body must have required property 'ref'",
    'body/inputs must NOT have more than 25 properties',
  ]);
});

test('without a token or repository nothing is sent, and it says why', async () => {
  const r = await dispatchWorkflow({ ref: 'canary', baseUrl: gh.url });
  expect(r).toEqual({
    ok: true,
    value: { sent: false, reason: 'update-fleet.yml not started on canary: GITHUB_TOKEN, GITHUB_REPOSITORY not known' },
  });
  expect(gh.requests).toEqual([]);
});

test('a refusal is an error value with the hint for its status, without the token', async () => {
  const refusing = await startFakeGitHub({
    prefix: '/api/v3',
    respond: () => ({ status: 403, body: { message: 'Resource not accessible by integration' } }),
  });
  try {
    const r = await dispatchWorkflow({ token: TOKEN, repository: 'acme/fleet', ref: 'canary', baseUrl: refusing.url });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(
      /^starting update-fleet\.yml on canary in acme\/fleet: HTTP 403 Resource not accessible/,
    );
    expect(r.error.hint).toContain('actions: write');
    expect(JSON.stringify(r.error)).not.toContain(TOKEN);
    expect(refusing.requests).toHaveLength(1);
  } finally {
    await refusing.close();
  }
});
