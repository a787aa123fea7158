import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError } from '../../src/errors/index.js';
import { loadRolloutPolicies, rolloutPolicyOf } from '../../src/rollout/index.js';
import { loadStageList } from '../../src/stage/stages.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fleetplay-rollout-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (text: string) => writeFileSync(join(dir, 'fleetplay.yml'), text);

/** The errors of a bad policy, formatted as the CLI prints them. */
function errorsOf(text: string): string[] {
  write(text);
  const r = loadRolloutPolicies(dir);
  if (r.ok) throw new Error('expected the policy to be refused');
  return r.error.map(formatError);
}

describe('rollout policy in fleetplay.yml', () => {
  it('normalizes waves, first, max_failed, soak and on_halt of a stage', () => {
    write(
      [
        'stages: [main, canary, production]',
        'rollout:',
        '  production:',
        '    waves: [1%, 10%, 50, 100%]',
        '    first: [kiosk-campus, raspberrypi2]',
        '    max_failed: 2%',
        '    soak: 1h30m',
        '    on_halt: abort',
      ].join('\n'),
    );
    const r = rolloutPolicyOf(dir, 'production');
    expect(r).toEqual({
      ok: true,
      value: {
        waves: [{ share: 1 }, { share: 10 }, { count: 50 }, { share: 100 }],
        first: ['kiosk-campus', 'raspberrypi2'],
        max_failed: { share: 2 },
        soak_ms: 90 * 60_000,
        soak: '1h30m',
        on_halt: 'abort',
      },
    });
    // The stage list still loads with the rollout key next to it.
    const stages = loadStageList(dir);
    expect(stages.ok && stages.value.names).toEqual(['main', 'canary', 'production']);
  });

  it('has defaults (no failure allowed, no soak, keep) and no policy means one wave', () => {
    write('rollout:\n  canary: {waves: [100%]}\n');
    expect(rolloutPolicyOf(dir, 'canary')).toEqual({
      ok: true,
      value: { waves: [{ share: 100 }], first: [], max_failed: { count: 0 }, soak_ms: 0, soak: '0s', on_halt: 'keep' },
    });
    expect(rolloutPolicyOf(dir, 'production')).toEqual({ ok: true, value: undefined });
    rmSync(join(dir, 'fleetplay.yml'));
    expect(rolloutPolicyOf(dir, 'production')).toEqual({ ok: true, value: undefined });
  });

  it('names file, line and what to write for a bad wave, duration and key', () => {
    const errors = errorsOf(
      [
        'stages: [main, production]',
        'rollout:',
        '  production:',
        '    waves: [10%, 5%, 150%]',
        '    soak: two hours',
        '    on_hlat: abort',
      ].join('\n'),
    );
    const file = join(dir, 'fleetplay.yml');
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${file}:4:22: fleetplay.yml: rollout.production.waves.2: 150% is neither`),
        expect.stringContaining(`${file}:5:5: fleetplay.yml: rollout.production.soak: two hours is not a duration`),
        expect.stringContaining(
          `${file}:6:5: fleetplay.yml: rollout.production.on_hlat: unknown key on_hlat (a policy has waves`,
        ),
      ]),
    );
    for (const e of errors) expect(e).toContain('hint: write e.g. "rollout: {production: {waves: [1%, 10%, 50%, 100%]');
  });

  it('refuses waves that shrink or do not end at 100%, and a stage that does not exist', () => {
    const file = join(dir, 'fleetplay.yml');
    expect(errorsOf('rollout:\n  production:\n    waves: [10%, 5%, 50%]\n')).toEqual([
      expect.stringContaining(`${file}:3:22: fleetplay.yml: rollout.production.waves.2: the last wave must be 100%`),
      expect.stringContaining(`${file}:3:18: fleetplay.yml: rollout.production.waves.1: waves are cumulative`),
    ]);
    expect(errorsOf('rollout:\n  prod:\n    waves: [100%]\n')).toEqual([
      expect.stringContaining(
        `${file}:2:3: fleetplay.yml: rollout.prod: prod is not a stage (stages: main, canary, production)`,
      ),
    ]);
  });
});
