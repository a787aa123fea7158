/**
 * The embedded server as an attack surface: credentials are checked from the headers before a
 * body is read, bodies are bounded per request and in total, bearer tokens are compared in
 * constant time, the admin API has a token of its own and is off without it, and binding beyond
 * loopback needs --allow-remote. Real server, real HTTP (node:http, to send part of a body).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { credentials, matchesOne } from '../../src/server/auth.js';
import { isLoopback } from '../../src/server/command.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/index.js';
import { ROOT, ensureBuilt } from '../stage/helpers.js';

const TOKEN = 'hardening-token-0123456789';
const ADMIN = 'hardening-admin-token-0123456789';
const SEARCH = '/api/management/v2/inventory/filters/search';
const cli = join(ROOT, 'dist/cli/main.js');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/**
 * Sends the headers and the first `sent` bytes of a body, then waits for the answer without
 * sending more: a server that reads the body first never answers (`timeout`).
 */
function partialPost(
  url: string,
  headers: Record<string, string | number>,
  sent: number,
): { answer: Promise<Answer | 'timeout' | 'closed'>; req: http.ClientRequest } {
  const req = http.request(`${url}${SEARCH}`, { method: 'POST', headers, agent: false });
  req.on('error', () => {});
  const answer = new Promise<Answer | 'timeout' | 'closed'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), 5000);
    req.on('close', () => (clearTimeout(timer), resolve('closed')));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += String(c)));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
  });
  req.flushHeaders();
  if (sent > 0) req.write(Buffer.alloc(sent, ' '));
  return { answer, req };
}

/** A whole request with a JSON body padded with spaces to `size` bytes. */
function post(
  url: string,
  size: number,
  headers: Record<string, string> = {},
  path = SEARCH,
): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  const json = '{"page":1,"per_page":20}';
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: json + ' '.repeat(Math.max(0, size - json.length)),
  }).then(async (r) => ({ status: r.status, body: await r.json(), retryAfter: r.headers.get('retry-after') }));
}

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

const advance = (url: string, token: string) =>
  fetch(`${url}/api/admin/v1/clock/advance`, {
    method: 'POST',
    headers: { ...auth(token), 'Content-Type': 'application/json' },
    body: '{"seconds":60}',
  });

/** The first value `probe` gives within 2 s (every 20 ms), or undefined. */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let i = 0; i < 100; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

describe('request bodies', () => {
  let srv: RunningServer;
  const open = async (o: StartOptions = {}) => {
    srv = await startServer({ memory: true, tokens: [TOKEN], ...o });
    return srv.url;
  };
  afterEach(() => srv.close());

  test('an unauthenticated POST gets 401 from its headers, before the body is sent', async () => {
    const url = await open();
    const { answer, req } = partialPost(
      url,
      { 'Content-Length': 15_000_000, 'Content-Type': 'application/json' },
      64 << 10,
    );
    const a = await answer;
    req.destroy();
    expect(a).not.toBe('timeout');
    expect(a).not.toBe('closed');
    expect(a).toMatchObject({ status: 401, headers: { connection: 'close' } });
    expect((a as Answer).body).toEqual({
      error: expect.stringMatching(/unauthorized/),
      request_id: expect.any(String),
    });
  });

  test('a declared length over the limit gets 413 in Mender’s error shape, before the body is sent', async () => {
    const url = await open({ bodyLimits: { maxBody: 1 << 20 } });
    const { answer, req } = partialPost(url, { ...auth(TOKEN), 'Content-Length': (1 << 20) + 1 }, 1024);
    const a = await answer;
    req.destroy();
    expect(a).toMatchObject({ status: 413, body: { error: 'request body too large: at most 1048576 bytes' } });
    expect((a as Answer).body).toHaveProperty('request_id');
  });

  test('a chunked body is cut off at the limit with 413; one within it is served', async () => {
    const url = await open({ bodyLimits: { maxBody: 256 << 10 } });
    const chunked = (size: number) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${url}${SEARCH}`, { method: 'POST', headers: auth(TOKEN), agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"page":1}');
        for (let sent = 10; sent < size; sent += 16 << 10) req.write(Buffer.alloc(16 << 10, ' '));
        req.end();
      });
    expect(await chunked(1 << 20)).toBe(413);
    expect(await chunked(128 << 10)).toBe(200);
  });

  test('bodies in flight share a budget: over it 503 with Retry-After, freed once answered', async () => {
    const url = await open({ bodyLimits: { maxBody: 1 << 20, inFlight: 2 << 20 } });
    const headers = { ...auth(TOKEN), 'Content-Type': 'application/json', 'Content-Length': 1 << 20 };
    const held = [partialPost(url, headers, 1024), partialPost(url, headers, 1024)];
    // Once the server has read both sets of headers, their 2 MiB are reserved: any body more is refused.
    const refused = await until(async () => {
      const r = await post(url, 10 << 10, auth(TOKEN));
      return r.status === 503 ? r : undefined;
    });
    expect(refused).toMatchObject({ status: 503, retryAfter: '1', body: { error: expect.stringMatching(/busy/) } });
    for (const h of held) h.req.destroy();
    await Promise.all(held.map((h) => h.answer));
    // The aborted uploads gave their bytes back: a full-size body fits again.
    const served = await until(async () => {
      const r = await post(url, 1 << 20, auth(TOKEN));
      return r.status === 200 ? r : undefined;
    });
    expect(served).toMatchObject({ status: 200 });
  });

  test('Expect: 100-continue gets the 100 only with valid credentials', async () => {
    const url = await open();
    const ask = (headers: Record<string, string>) =>
      new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
        let continued = false;
        const body = '{"page":1}';
        const req = http.request(`${url}${SEARCH}`, {
          method: 'POST',
          agent: false,
          headers: { ...headers, Expect: '100-continue', 'Content-Length': body.length },
        });
        req.on('continue', () => ((continued = true), req.end(body)));
        req.on('response', (res) => (res.resume(), resolve({ continued, status: res.statusCode ?? 0 })));
        req.on('error', reject);
        req.flushHeaders();
      });
    expect(await ask({})).toEqual({ continued: false, status: 401 });
    expect(await ask(auth(TOKEN))).toEqual({ continued: true, status: 200 });
  });
});

describe('the server process under 30 concurrent unauthenticated 15 MB uploads', () => {
  beforeAll(() => ensureBuilt());

  const kb = (pid: number, field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

  test('answers every one 401 and its peak RSS does not grow by a body', async () => {
    const child = spawn(process.execPath, [cli, 'server', '--memory', '--port', '0', '--token', TOKEN], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (c) => resolve(String(c).trim().split('\n')[0]));
        child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      await new Promise((r) => setTimeout(r, 300));
      const before = Math.max(kb(child.pid!, 'VmRSS'), kb(child.pid!, 'VmHWM'));
      const body = Buffer.alloc(15_000_000, 'x');
      const statuses = await Promise.all(
        Array.from(
          { length: 30 },
          () =>
            new Promise<string>((resolve) => {
              const req = http.request(
                `${url}${SEARCH}`,
                { method: 'POST', agent: false, headers: { 'Content-Length': body.length } },
                (res) => (res.resume(), resolve(String(res.statusCode))),
              );
              req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
              req.end(body);
            }),
        ),
      );
      const growthKb = kb(child.pid!, 'VmHWM') - before;
      expect(statuses).toEqual(Array(30).fill('401'));
      expect(growthKb).toBeLessThan(15_000);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('bearer tokens', () => {
  test('compared by digest against every configured token: right, wrong of the same length, other length', () => {
    const c = credentials({ tokens: ['first-token-aaaa', 'second-token-bbb'], jwtSecret: () => 's' });
    expect(matchesOne(c.tokens, 'second-token-bbb')).toBe(true);
    expect(matchesOne(c.tokens, 'first-token-aaaa')).toBe(true);
    expect(matchesOne(c.tokens, 'second-token-bbc')).toBe(false);
    expect(matchesOne(c.tokens, 'second-token-bb')).toBe(false);
    expect(matchesOne(c.tokens, 'second-token-bbbb')).toBe(false);
    expect(matchesOne([], 'second-token-bbb')).toBe(false);
  });

  test('over HTTP: the right token 200, a wrong one of the same length or another length 401, a login JWT 200', async () => {
    const srv = await startServer({
      memory: true,
      tokens: ['other-token-000000', TOKEN],
      users: [{ email: 'a@example.org', password: 'pw' }],
    });
    try {
      const get = (t: string) => fetch(`${srv.url}/api/management/v1/inventory/devices`, { headers: auth(t) });
      expect((await get(TOKEN)).status).toBe(200);
      expect((await get(TOKEN.slice(0, -1) + 'x')).status).toBe(401);
      expect((await get(TOKEN + 'x')).status).toBe(401);
      expect((await get('short')).status).toBe(401);
      const login = await fetch(`${srv.url}/api/management/v1/useradm/auth/login`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from('a@example.org:pw').toString('base64')}` },
      });
      expect((await get(await login.text())).status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});

describe('the admin API', () => {
  test('takes only its own token; a management token is refused, and the admin token is no management token', async () => {
    const srv = await startServer({ memory: true, clock: 'manual', tokens: [TOKEN], adminToken: ADMIN });
    try {
      expect((await advance(srv.url, TOKEN)).status).toBe(401);
      const ok = await advance(srv.url, ADMIN);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ steps: expect.any(Number) });
      const wipe = await fetch(`${srv.url}/api/admin/v1/requests`, { method: 'DELETE', headers: auth(TOKEN) });
      expect(wipe.status).toBe(401);
      const mgmt = await fetch(`${srv.url}/api/management/v1/inventory/devices`, { headers: auth(ADMIN) });
      expect(mgmt.status).toBe(401);
    } finally {
      await srv.close();
    }
  });

  test('is off without an admin token: its routes answer 404 to any token', async () => {
    const srv = await startServer({ memory: true, clock: 'manual', tokens: [TOKEN] });
    try {
      expect((await advance(srv.url, TOKEN)).status).toBe(404);
      const faults = await fetch(`${srv.url}/api/admin/v1/faults`, {
        method: 'PUT',
        headers: { ...auth(TOKEN), 'Content-Type': 'application/json' },
        body: '{"error_rate":1}',
      });
      expect(faults.status).toBe(404);
      const list = await fetch(`${srv.url}/api/management/v1/inventory/devices`, { headers: auth(TOKEN) });
      expect(list.status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});

describe('fleetplay server: bind address and admin token checks', () => {
  beforeAll(() => ensureBuilt());

  /** `fleetplay server ARGS`; `whileUp` runs with its URL once it listens, then it is stopped. */
  const run = (args: string[], env: Record<string, string> = {}, whileUp?: (url: string) => Promise<void>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'server', '--memory', '--port', '0', ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => {
        stdout += String(c);
        if (!stdout.includes('\n')) return;
        void (whileUp?.(stdout.split('\n')[0]) ?? Promise.resolve()).finally(() => child.kill('SIGTERM'));
      });
      child.stderr.on('data', (c) => (stderr += String(c)));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  test('--host 0.0.0.0 without --allow-remote: exit 1, the message names the flag, nothing listens', async () => {
    const r = await run(['--host', '0.0.0.0', '--token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--host 0\.0\.0\.0 would make the server reachable from other machines.*--allow-remote/);
  });

  test('--allow-remote: a warning on stderr before binding (a documentation address fails to bind, clearly)', async () => {
    const r = await run(['--host', '192.0.2.1', '--allow-remote', '--token', TOKEN]);
    expect(r.stderr).toMatch(/warning: the server listens on 192\.0\.2\.1, beyond this machine/);
    expect(r.stderr).toMatch(/cannot listen on 192\.0\.2\.1:0: EADDRNOTAVAIL/);
    expect(r.code).toBe(1);
  });

  test('loopback needs no flag; the admin token from the environment enables the admin API', async () => {
    const statuses: number[] = [];
    const r = await run(
      ['--host', '127.0.0.1', '--token', TOKEN, '--clock', 'manual'],
      { FLEETPLAY_SERVER_ADMIN_TOKEN: ADMIN },
      async (url) => {
        statuses.push((await advance(url, ADMIN)).status, (await advance(url, TOKEN)).status);
      },
    );
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n/);
    expect(statuses).toEqual([200, 401]);
    expect(r.stderr).not.toMatch(/warning/);
  });

  test('an admin token equal to a management token, or a manual clock without one: exit 1 with what to pass', async () => {
    const same = await run(['--token', TOKEN, '--admin-token', TOKEN]);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/the admin token is also a management token/);
    const manual = await run(['--token', TOKEN, '--clock', 'manual']);
    expect(manual.code).toBe(1);
    expect(manual.stderr).toMatch(/--clock manual moves only through the admin API.*--admin-token/);
  });

  test.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.1.2.3', false],
    ['128.0.0.1', false],
    ['example.org', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
