import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendStepSummary } from '../../src/github/index.js';
import { registerSecretsFromEnv } from '../../src/log/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';

describe('appendStepSummary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-summary-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => clearSecretsForTests());

  test('appends to $GITHUB_STEP_SUMMARY, after what earlier steps wrote, with secrets masked', async () => {
    const file = join(dir, 'step_summary');
    writeFileSync(file, '# earlier step\n');
    registerSecretsFromEnv({ INFLUXDB_TOKEN: 'influx-secret-42' });
    const env = { GITHUB_STEP_SUMMARY: file };
    expect(
      await appendStepSummary('## fleetplay canary\n| device | state |\n|---|---|\n| kiosk | converged |', env),
    ).toEqual({ ok: true, value: { written: true, path: file } });
    expect(await appendStepSummary('token was influx-secret-42\n', env)).toEqual({
      ok: true,
      value: { written: true, path: file },
    });
    expect(readFileSync(file, 'utf8')).toBe(
      '# earlier step\n## fleetplay canary\n| device | state |\n|---|---|\n| kiosk | converged |\ntoken was ********\n',
    );
  });

  test('outside Actions nothing is written and the reason says why', async () => {
    expect(await appendStepSummary('# x', {})).toEqual({
      ok: true,
      value: { written: false, reason: 'job summary not written: GITHUB_STEP_SUMMARY is not set' },
    });
  });

  test('an unwritable summary path is an error naming the file', async () => {
    const file = join(dir, 'no-such-dir', 'summary');
    const r = await appendStepSummary('# x', { GITHUB_STEP_SUMMARY: file });
    expect(r.ok || r.error).toMatchObject({ code: 'github.summary-failed', file });
  });
});
