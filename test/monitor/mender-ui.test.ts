/** Which server URLs get links into the Mender UI, and the UI's page addresses. */
import { deploymentPage, devicePage, menderUiBase } from '../../src/monitor/mender-ui.js';

const base = (server: string | undefined, override?: string) => {
  const r = menderUiBase(server, override);
  return r.ok ? r.value : `error: ${r.error.message}`;
};

describe('menderUiBase', () => {
  test('hosted Mender and other https servers serve the UI beside the API', () => {
    expect(base('https://hosted.mender.io')).toBe('https://hosted.mender.io');
    expect(base('https://eu.hosted.mender.io/')).toBe('https://eu.hosted.mender.io');
    expect(base('https://mender.example.org:8443/')).toBe('https://mender.example.org:8443');
  });

  test('local and plain-http servers (the embedded one) have no UI', () => {
    for (const s of [
      'http://127.0.0.1:8080',
      'https://localhost:8443',
      'https://127.0.0.1',
      'https://[::1]:8443',
      'http://mender.example.org',
      undefined,
    ])
      expect(base(s)).toBeUndefined();
  });

  test('the override wins; `none` turns links off; a non-URL is an error naming the flag', () => {
    expect(base('http://127.0.0.1:8080', 'http://mender.lan/')).toBe('http://mender.lan');
    expect(base('https://hosted.mender.io', 'none')).toBeUndefined();
    expect(base('https://hosted.mender.io', 'hosted.mender.io')).toBe(
      'error: --mender-ui hosted.mender.io is not an http(s) URL',
    );
  });

  test('page addresses are the UI routes', () => {
    expect(deploymentPage('https://hosted.mender.io', 'd-1')).toBe(
      'https://hosted.mender.io/ui/deployments/finished?open=true&id=d-1',
    );
    expect(devicePage('https://hosted.mender.io', 'a b')).toBe('https://hosted.mender.io/ui/devices?id=a%20b');
  });
});
