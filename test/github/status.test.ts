import { PassThrough } from 'node:stream';
import { configureLogging } from '../../src/log/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';
import {
  describeCounts,
  fromActionsEnv,
  setCommitStatus,
  statusDescription,
  statusPublisher,
} from '../../src/github/index.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { GitHubContract, type RecordedRequest } from './openapi.js';

const TOKEN = 'ghs_fleetplayTestToken0123456789';
const SHA = 'a'.repeat(32) + '0123beef';
const OP = 'repos/create-commit-status';

const contract = new GitHubContract();

/** Collects everything fleetplay logs (debug and up) so tests can look for the token in it. */
function captureLogs(): () => string {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c) => chunks.push(String(c)));
  configureLogging({ format: 'json', level: 'debug', stream });
  return () => chunks.join('');
}

describe('setCommitStatus against a local GitHub', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await startFakeGitHub();
  });
  afterEach(async () => {
    await gh.close();
    clearSecretsForTests();
    configureLogging({});
  });

  test('sends what GitHub’s OpenAPI description asks for and reads the 201 it documents', async () => {
    const logs = captureLogs();
    const ctx = fromActionsEnv({
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_RUN_ID: '42',
    });
    const r = await setCommitStatus({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'canary',
      state: 'success',
      description: describeCounts({ converged: 4, failed: 0, 'in progress': 1 }),
      targetUrl: ctx.targetUrl,
      baseUrl: gh.url,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        sent: true,
        context: 'fleetplay/canary',
        state: 'success',
        id: 1001,
        url: `${gh.url}/repos/acme/fleet/statuses/${SHA}`,
      },
    });
    expect(gh.requests).toHaveLength(1);
    const req = gh.requests[0];
    expect(contract.checkRequest(req, OP)).toEqual([]);
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/repos/acme/fleet/statuses/${SHA}`);
    expect(req.headers.authorization).toMatch(new RegExp(`^(token|bearer) ${TOKEN}$`, 'i'));
    expect(JSON.parse(req.body)).toEqual({
      state: 'success',
      context: 'fleetplay/canary',
      description: '4 converged, 1 in progress',
      target_url: 'https://github.com/acme/fleet/actions/runs/42',
    });
    expect(contract.checkResponse(OP, gh.replies[0].status, gh.replies[0].body)).toEqual([]);
    expect(logs()).toContain('statuses');
    expect(logs()).not.toContain(TOKEN);
  });

  test('GITHUB_API_URL with a path (GitHub Enterprise Server) is honoured', async () => {
    await gh.close();
    gh = await startFakeGitHub({ prefix: '/api/v3' });
    const ctx = fromActionsEnv({
      GITHUB_API_URL: `${gh.url}/`,
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_SHA: SHA,
    });
    const r = await setCommitStatus({
      ...ctx,
      baseUrl: ctx.apiUrl,
      branch: 'main',
      state: 'pending',
      description: 'waiting for 1 device',
    });
    expect(r.ok && r.value.sent).toBe(true);
    expect(gh.requests.map((q) => q.path)).toEqual([`/api/v3/repos/acme/fleet/statuses/${SHA}`]);
    expect(contract.checkRequest(gh.requests[0], OP, '/api/v3')).toEqual([]);
    expect(JSON.parse(gh.requests[0].body)).not.toHaveProperty('target_url');
  });

  test('a long description is cut to 140 characters without splitting a character', async () => {
    const long = `${'ü'.repeat(100)} ${'📦'.repeat(60)}`;
    const r = await setCommitStatus({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'production',
      state: 'failure',
      description: long,
      baseUrl: gh.url,
    });
    expect(r.ok).toBe(true);
    const sent = JSON.parse(gh.requests[0].body) as { description: string };
    expect(Array.from(sent.description)).toHaveLength(140);
    expect(sent.description.endsWith('📦…')).toBe(true);
    expect(sent.description).toBe(statusDescription(long));
    expect(contract.checkRequest(gh.requests[0], OP)).toEqual([]);
  });

  test('without token, repository or commit nothing is sent, and a publisher says so once', async () => {
    const r = await setCommitStatus({
      repository: 'acme/fleet',
      branch: 'canary',
      state: 'pending',
      description: 'x',
      baseUrl: gh.url,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        sent: false,
        context: 'fleetplay/canary',
        reason: 'commit status fleetplay/canary not sent: GITHUB_TOKEN, the deployed commit not known',
      },
    });
    const publish = statusPublisher({ token: TOKEN, sha: SHA, branch: 'main', baseUrl: gh.url });
    const first = await publish('pending', '1 pending');
    const second = await publish('success', '1 converged');
    expect(first.ok && [first.value.sent, first.value.firstNotice]).toEqual([false, true]);
    expect(second.ok && [second.value.sent, second.value.firstNotice]).toEqual([false, false]);
    expect(first.ok && !first.value.sent && first.value.reason).toContain('GITHUB_REPOSITORY');
    expect(gh.requests).toHaveLength(0);
  });

  test('a publisher with everything known sends every update', async () => {
    const publish = statusPublisher({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'main',
      baseUrl: gh.url,
    });
    await publish('pending', '1 in progress');
    const last = await publish('success', '1 converged');
    expect(last.ok && last.value).toMatchObject({ sent: true, firstNotice: false, state: 'success' });
    expect(gh.requests.map((q) => JSON.parse(q.body).state)).toEqual(['pending', 'success']);
  });

  test.each([
    [401, 'token is wrong', 'GITHUB_TOKEN is wrong or expired'],
    [403, 'Resource not accessible by integration', 'statuses: write'],
    [422, 'Validation Failed', 'GitHub refused the status'],
  ])('HTTP %i is an error with a hint, and the token appears nowhere', async (status, message, hint) => {
    await gh.close();
    gh = await startFakeGitHub({
      respond: () => ({ status, body: { message, documentation_url: 'https://docs.github.com/rest' } }),
    });
    const logs = captureLogs();
    const r = await setCommitStatus({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'canary',
      state: 'success',
      description: 'ok',
      baseUrl: gh.url,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('github.status-failed');
    expect(r.error.message).toContain(`HTTP ${status}`);
    expect(r.error.hint).toContain(hint);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    expect(logs()).not.toContain(TOKEN);
    expect(gh.requests).toHaveLength(1);
  });

  test('an unreachable API is an error pointing at GITHUB_API_URL, after the retries', async () => {
    const url = gh.url;
    await gh.close();
    const r = await setCommitStatus({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'canary',
      state: 'error',
      description: 'x',
      baseUrl: url,
      retryDelaysMs: [1, 1],
    });
    expect(r.ok || r.error.hint).toContain('GITHUB_API_URL');
  });

  test('a 502 is sent again and the status is set once GitHub answers; a 4xx is not repeated', async () => {
    await gh.close();
    gh = await startFakeGitHub({
      respond: (_req, n) => (n === 1 ? { status: 502, body: { message: 'Bad Gateway' } } : undefined),
    });
    const base = {
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'canary',
      state: 'success' as const,
      description: 'ok',
      baseUrl: gh.url,
      retryDelaysMs: [5, 5],
    };
    const r = await setCommitStatus(base);
    expect(r.ok && r.value).toMatchObject({ sent: true, id: 1002 });
    expect(gh.replies.map((x) => x.status)).toEqual([502, 201]);
    gh.requests.forEach((q) => expect(contract.checkRequest(q, OP)).toEqual([]));
    await gh.close();
    gh = await startFakeGitHub({ respond: () => ({ status: 404, body: { message: 'Not Found' } }) });
    const missing = await setCommitStatus({ ...base, baseUrl: gh.url });
    expect(missing.ok || missing.error.hint).toContain('unknown to GitHub');
    expect(gh.requests).toHaveLength(1);
  });

  test('persistent 5xx gives up after the last retry', async () => {
    await gh.close();
    gh = await startFakeGitHub({ respond: () => ({ status: 503, body: { message: 'Service Unavailable' } }) });
    const r = await setCommitStatus({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'main',
      state: 'pending',
      description: 'x',
      baseUrl: gh.url,
      retryDelaysMs: [1, 1],
    });
    expect(r.ok || r.error.message).toContain('HTTP 503');
    expect(gh.requests).toHaveLength(3);
  });

  test('a bad repository, sha or state is refused before anything is sent', async () => {
    const base = {
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      branch: 'canary',
      state: 'success' as const,
      description: 'x',
      baseUrl: gh.url,
    };
    const codes = await Promise.all([
      setCommitStatus({ ...base, repository: 'acme' }),
      setCommitStatus({ ...base, sha: 'main' }),
      setCommitStatus({ ...base, state: 'green' as never }),
    ]);
    expect(codes.map((r) => (r.ok ? 'sent' : r.error.code))).toEqual([
      'github.bad-repository',
      'github.bad-sha',
      'github.bad-state',
    ]);
    expect(gh.requests).toHaveLength(0);
  });
});

describe('the OpenAPI check itself can fail', () => {
  const good: RecordedRequest = {
    method: 'POST',
    path: `/repos/acme/fleet/statuses/${SHA}`,
    headers: {
      'user-agent': 'fleetplay',
      authorization: `token ${TOKEN}`,
      accept: 'application/vnd.github.v3+json',
      'content-type': 'application/json; charset=utf-8',
    },
    body: JSON.stringify({ state: 'success', context: 'fleetplay/main' }),
  };

  test('a well-formed request passes', () => {
    expect(contract.checkRequest(good, OP)).toEqual([]);
  });

  test('an invalid state, a missing state and a wrongly typed description are rejected by the requestBody schema', () => {
    const bad = (body: unknown) => contract.checkRequest({ ...good, body: JSON.stringify(body) }, OP);
    expect(bad({ state: 'green', context: 'fleetplay/main' })).toEqual([
      'body/state must be equal to one of the allowed values',
    ]);
    expect(bad({ context: 'fleetplay/main' })).toEqual(["body must have required property 'state'"]);
    expect(bad({ state: 'success', description: 42 })).toEqual(['body/description must be string']);
  });

  test('wrong method, unknown path, missing headers and a foreign content type are caught', () => {
    expect(contract.checkRequest({ ...good, method: 'GET' }, OP)).toEqual([
      `GET ${good.path} is no operation of the GitHub REST API`,
    ]);
    const listPath = `/repos/acme/fleet/commits/${SHA}/statuses`;
    expect(contract.checkRequest({ ...good, method: 'GET', path: listPath }, OP)).toEqual([
      `GET ${listPath} is repos/list-commit-statuses-for-ref, not ${OP}`,
    ]);
    expect(contract.checkRequest({ ...good, path: '/repos/acme/statuses' }, OP)).toEqual([
      'POST /repos/acme/statuses is no operation of the GitHub REST API',
    ]);
    const { authorization: _a, 'user-agent': _u, ...anonymous } = good.headers;
    expect(contract.checkRequest({ ...good, headers: { ...anonymous, 'content-type': 'text/plain' } }, OP)).toEqual([
      'header user-agent missing (GitHub rejects requests without one)',
      'header authorization is not "token <t>" or "Bearer <t>"',
      'header content-type "text/plain" is not one of application/json',
    ]);
  });

  test('query parameters: documented ones of the right type pass, others are caught', () => {
    const combined = { ...good, method: 'GET', path: `/repos/acme/fleet/commits/${SHA}/status`, body: '' };
    const check = (query: string) => contract.checkRequest({ ...combined, query }, 'repos/get-combined-status-for-ref');
    expect(check('per_page=100&page=2')).toEqual([]);
    expect(check('per_page=lots')).toEqual(['query parameter per_page must be integer']);
    expect(check('context=fleetplay%2Fmain')).toEqual([
      "query parameter context is not one of repos/get-combined-status-for-ref's",
    ]);
  });

  test('a response missing documented fields does not pass the 201 schema', () => {
    expect(contract.checkResponse(OP, 201, { id: 'one', state: 'success' })).toEqual(
      expect.arrayContaining(['response/id must be integer', "response must have required property 'creator'"]),
    );
    expect(contract.checkResponse(OP, 200, {})).toEqual([`${OP} documents no 200 response`]);
  });
});

describe('fromActionsEnv', () => {
  test('builds the run link and API root from the Actions variables', () => {
    expect(
      fromActionsEnv({
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPOSITORY: 'acme/fleet',
        GITHUB_SHA: SHA,
        GITHUB_SERVER_URL: 'https://ghe.example.com/',
        GITHUB_API_URL: 'https://ghe.example.com/api/v3',
        GITHUB_RUN_ID: '7',
        GITHUB_RUN_ATTEMPT: '2',
      }),
    ).toEqual({
      token: TOKEN,
      repository: 'acme/fleet',
      sha: SHA,
      apiUrl: 'https://ghe.example.com/api/v3',
      targetUrl: 'https://ghe.example.com/acme/fleet/actions/runs/7/attempts/2',
    });
  });

  test('outside Actions: github.com defaults, empty secrets count as unset, no run link', () => {
    expect(fromActionsEnv({ GITHUB_TOKEN: '', GITHUB_REPOSITORY: 'acme/fleet' })).toEqual({
      token: undefined,
      repository: 'acme/fleet',
      sha: undefined,
      apiUrl: 'https://api.github.com',
      targetUrl: undefined,
    });
  });

  test('describeCounts leaves out empty states and says when nothing is subscribed', () => {
    expect(describeCounts({ converged: 3, pending: 0, failed: 2 })).toBe('3 converged, 2 failed');
    expect(describeCounts({ converged: 0 })).toBe('no devices subscribed');
  });
});
