/**
 * One precedence for the OTA server URL (src/ota/server-url.ts), and errors that name the URL,
 * where it came from and why it failed: a closed port, a name DNS does not know, a web page that
 * is not the Mender API, a URL that is not one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExitCode } from '../../src/errors/index.js';
import { maskSecrets } from '../../src/log/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';
import { chooseServerUrl, exitCodeFor, MenderClient, type ServerUrlInput } from '../../src/ota/index.js';
import { testServer, TOKEN } from './helpers.js';

const from = (i: ServerUrlInput) => {
  const r = chooseServerUrl(i);
  return r.ok ? `${r.value.url} ← ${r.value.from}` : r.error.code;
};

describe('which OTA server URL', () => {
  afterEach(() => clearSecretsForTests());

  const all: ServerUrlInput = {
    flag: 'http://flag:1',
    extraVar: 'http://extra:1',
    env: { MENDER_SERVER_URL: 'http://env:1' },
    variable: 'http://var:1',
    variableFrom: 'inventory/group_vars/all.yml',
  };

  test('--server, then -e mender_server, then MENDER_SERVER_URL, then the mender_server variable', () => {
    expect([
      from(all),
      from({ ...all, flag: undefined }),
      from({ ...all, flag: undefined, extraVar: undefined }),
      from({ ...all, flag: undefined, extraVar: undefined, env: {} }),
      from({ variable: 'http://var:1', env: {} }),
      from({ env: {} }),
    ]).toEqual([
      'http://flag:1 ← --server',
      'http://extra:1 ← -e mender_server',
      'http://env:1 ← MENDER_SERVER_URL',
      'http://var:1 ← inventory/group_vars/all.yml mender_server',
      'http://var:1 ← the mender_server variable',
      'ota.no-server',
    ]);
  });

  test('empty values say nothing; the trailing slash goes', () => {
    expect(from({ flag: ' ', env: { MENDER_SERVER_URL: '' }, variable: 'https://ota.example.com/' })).toBe(
      'https://ota.example.com ← the mender_server variable',
    );
  });

  test('the variable is looked up only when nothing above it names a server', () => {
    let looked = 0;
    const lookupVariable = () => (looked++, { value: 'http://inv:1', from: 'inventory/group_vars/all.yml' });
    expect(from({ env: { MENDER_SERVER_URL: 'http://env:1' }, lookupVariable })).toBe(
      'http://env:1 ← MENDER_SERVER_URL',
    );
    expect(looked).toBe(0);
    expect(from({ env: {}, lookupVariable })).toBe('http://inv:1 ← inventory/group_vars/all.yml mender_server');
    expect(looked).toBe(1);
  });

  test.each([
    ['foo', 'is not a URL'],
    ['ftp://ota.example.com', 'must use http or https'],
  ])('--server %s: the URL, its source and what to write', (flag, why) => {
    const r = chooseServerUrl({ flag, env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ota.bad-server-url');
      expect(r.error.message).toBe(`the OTA server URL "${flag}" (from --server) ${why}`);
      expect(r.error.hint).toBe('write it as https://host[:port] — check --server / MENDER_SERVER_URL / mender_server');
    }
  });

  test('a password in the URL is masked wherever it is printed', () => {
    const r = chooseServerUrl({ flag: 'https://ops:s3cret-pass@ota.example.com', env: {} });
    expect(r.ok && maskSecrets(r.value.url)).toBe('https://ops:********@ota.example.com');
  });
});

/** The endpoint's first request fails: how, and what the error says. */
async function firstError(url: string, from: string) {
  const c = new MenderClient({ url, from, auth: { kind: 'token', token: TOKEN } }, { maxRetries: 1, baseDelayMs: 1 });
  const r = await c.verifyAccess();
  c.close();
  if (r.ok) throw new Error(`${url} answered`);
  return r.error;
}

/** A web server that is not Mender: every path is an HTML "not found" page. */
async function webServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>404 Not Found</title><h1>Not Found</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('errors name the OTA server URL, where it came from, and why it failed', () => {
  test('a closed port: connection refused, exit code 4', async () => {
    const srv = await testServer();
    const url = srv.url;
    await srv.close();
    const e = await firstError(url, 'MENDER_SERVER_URL');
    expect(e.code).toBe('ota.unreachable');
    expect(e.message).toBe(
      `OTA server ${url} (from MENDER_SERVER_URL) could not be reached: connection refused (ECONNREFUSED) after 2 attempts — check --server / MENDER_SERVER_URL / mender_server`,
    );
    expect(exitCodeFor(e)).toBe(ExitCode.otaUnreachable);
  });

  test('a host name DNS does not know, exit code 4', async () => {
    const e = await firstError('http://fleetplay-no-such-host.invalid', '--server');
    expect(e.code).toBe('ota.unreachable');
    // Without a resolver the lookup fails as EAI_AGAIN rather than ENOTFOUND.
    expect(e.message).toMatch(
      /^OTA server http:\/\/fleetplay-no-such-host\.invalid \(from --server\) could not be reached: host name (not found|lookup failed) \(DNS\) \((ENOTFOUND|EAI_AGAIN)\) after 2 attempts/,
    );
    expect(exitCodeFor(e)).toBe(ExitCode.otaUnreachable);
  });

  test('a web page where the API should be: not Mender, a configuration error (exit code 1), not retried', async () => {
    const web = await webServer();
    try {
      const e = await firstError(web.url, 'inventory/group_vars/all.yml mender_server');
      expect(e.code).toBe('ota.not-mender');
      expect(e.message).toBe(
        `OTA server ${web.url} (from inventory/group_vars/all.yml mender_server) answered GET /api/management/v2/deployments/deployments with HTTP 404 and an HTML page, not the Mender management API — check --server / MENDER_SERVER_URL / mender_server`,
      );
      expect(e.hint).toContain('root of the Mender server');
      expect(exitCodeFor(e)).toBe(ExitCode.usage);
    } finally {
      web.server.close();
    }
  });

  test('a refused token names the server but never the token', async () => {
    const srv = await testServer();
    try {
      const c = new MenderClient({
        url: srv.url,
        from: '--server',
        auth: { kind: 'token', token: 'wrong-token-0042' },
      });
      const r = await c.verifyAccess();
      c.close();
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.message).toContain(`OTA server ${srv.url} (from --server) refused the request`);
        expect(JSON.stringify(r.error)).not.toContain('wrong-token-0042');
      }
    } finally {
      await srv.close();
    }
  });
});
