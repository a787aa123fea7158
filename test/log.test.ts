import { PassThrough } from 'node:stream';
import { createLogger, registerSecret, registerSecretsFromEnv } from '../src/log/index.js';
import { clearSecretsForTests } from '../src/log/secrets.js';

function capture(format: 'text' | 'json') {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c) => chunks.push(String(c)));
  return { logger: createLogger({ format, stream }), text: () => chunks.join('') };
}

describe('logging', () => {
  afterEach(() => clearSecretsForTests());

  test('json format writes one JSON object per line', async () => {
    const { logger, text } = capture('json');
    logger.info('scheduled', { devices: 3 });
    logger.warn('slow');
    await new Promise((r) => setImmediate(r));
    const lines = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', message: 'scheduled', devices: 3 });
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'slow' });
  });

  test('secrets from env and registered values are masked in message and metadata', async () => {
    registerSecretsFromEnv({ MENDER_ACCESS_TOKEN: 'tok-123456', PATH: '/usr/bin' });
    registerSecret('hunter2-pass');
    const { logger, text } = capture('json');
    logger.info('login with tok-123456', {
      headers: { authorization: 'Bearer tok-123456' },
      pw: 'hunter2-pass',
      path: '/usr/bin',
    });
    const { logger: tty, text: ttyText } = capture('text');
    tty.error('failed: hunter2-pass');
    await new Promise((r) => setImmediate(r));
    expect(text()).not.toContain('tok-123456');
    expect(text()).not.toContain('hunter2-pass');
    expect(text()).toContain('/usr/bin');
    expect(JSON.parse(text()).headers.authorization).toBe('Bearer ********');
    expect(ttyText()).toBe('error: failed: ********\n');
  });
});
