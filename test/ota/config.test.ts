import { resolveEndpoint } from '../../src/ota/config.js';
import { maskSecrets } from '../../src/log/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';

describe('server URL and credentials', () => {
  afterEach(() => clearSecretsForTests());

  test('option beats the mender_server var beats MENDER_SERVER_URL', () => {
    const env = { MENDER_SERVER_URL: 'http://env:1', MENDER_ACCESS_TOKEN: 'tok-abcdef' };
    const a = resolveEndpoint({ server: 'http://opt:1/', vars: { mender_server: 'http://var:1' }, env });
    const b = resolveEndpoint({ vars: { mender_server: 'http://var:1' }, env });
    const c = resolveEndpoint({ env });
    expect([a, b, c].map((r) => (r.ok ? r.value.url : r.error.code))).toEqual([
      'http://opt:1',
      'http://var:1',
      'http://env:1',
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
    [{ env: { MENDER_ACCESS_TOKEN: 'x' } }, 'ota.no-server', 'mender_server'],
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
