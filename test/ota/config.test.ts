import { resolveEndpoint } from '../../src/ota/config.js';
import { maskSecrets } from '../../src/log/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';

describe('server URL and credentials', () => {
  afterEach(() => clearSecretsForTests());

  test('--server beats MENDER_SERVER_URL beats the mender_server var, and the endpoint says which it took', () => {
    const env = { MENDER_SERVER_URL: 'http://env:1', MENDER_ACCESS_TOKEN: 'tok-abcdef' };
    const vars = { mender_server: 'http://var:1' };
    const a = resolveEndpoint({ server: 'http://opt:1/', vars, env });
    const b = resolveEndpoint({ vars, env });
    const c = resolveEndpoint({ vars, varsFrom: 'inventory/group_vars/all.yml', env: { MENDER_ACCESS_TOKEN: 'x' } });
    expect([a, b, c].map((r) => (r.ok ? [r.value.url, r.value.from] : r.error.code))).toEqual([
      ['http://opt:1', '--server'],
      ['http://env:1', 'MENDER_SERVER_URL'],
      ['http://var:1', 'inventory/group_vars/all.yml mender_server'],
    ]);
  });

  test('token beats user/password, and is registered as a secret', () => {
    const r = resolveEndpoint({
      env: {
        MENDER_SERVER_URL: 'http://s',
        MENDER_ACCESS_TOKEN: 'pat-123456',
        MENDER_USER: 'u',
        MENDER_PASSWORD: 'pw-123456',
      },
    });
    expect(r.ok && r.value.auth).toEqual({ kind: 'token', token: 'pat-123456' });
    expect(maskSecrets('token pat-123456')).toBe('token ********');
  });

  test('user/password login when there is no token; the password is masked', () => {
    const r = resolveEndpoint({
      env: { MENDER_SERVER_URL: 'http://s', MENDER_USER: 'ops@example.com', MENDER_PASSWORD: 'hunter2hunter2' },
    });
    expect(r.ok && r.value.auth).toEqual({ kind: 'login', user: 'ops@example.com', password: 'hunter2hunter2' });
    expect(maskSecrets('pw=hunter2hunter2')).toBe('pw=********');
  });

  test.each([
    [{ env: { MENDER_ACCESS_TOKEN: 'x' } }, 'ota.no-server', '--server URL, set MENDER_SERVER_URL'],
    [{ env: { MENDER_SERVER_URL: 'not a url', MENDER_ACCESS_TOKEN: 'x' } }, 'ota.bad-server-url', 'https://host'],
    [{ env: { MENDER_SERVER_URL: 'ftp://x', MENDER_ACCESS_TOKEN: 'x' } }, 'ota.bad-server-url', 'https://host'],
    [{ env: { MENDER_SERVER_URL: 'http://x', MENDER_USER: 'u' } }, 'ota.no-credentials', 'MENDER_ACCESS_TOKEN'],
  ])('%j → %s with a hint', (input, code, hint) => {
    const r = resolveEndpoint(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.hint).toContain(hint);
    }
  });
});
