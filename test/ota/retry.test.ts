import { backoffDelay, classify, outcomeUnknown, parseRetryAfter } from '../../src/ota/retry.js';
import { RateLimiter } from '../../src/ota/rate.js';

describe('backoff with full jitter', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
  test.each([
    [0, 0.999, 99],
    [1, 0.999, 199],
    [3, 0.5, 400],
    [10, 0.999, 999], // capped
    [2, 0, 0],
  ])('attempt %i, random %f → %i ms', (attempt, r, ms) => expect(backoffDelay(attempt, opts, () => r)).toBe(ms));

  test('real randomness stays under the ceiling and varies', () => {
    const ds = Array.from({ length: 200 }, () => backoffDelay(4, opts));
    expect(Math.max(...ds)).toBeLessThan(1000);
    expect(new Set(ds).size).toBeGreaterThan(50);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (h, ms) => expect(parseRetryAfter(h, now)).toBe(ms));
});

describe('what is retried', () => {
  test.each([
    [{ kind: 'status', status: 500 }, 'retry', true],
    [{ kind: 'status', status: 502 }, 'retry', true],
    [{ kind: 'status', status: 503 }, 'retry', true],
    [{ kind: 'status', status: 429 }, 'retry', false],
    [{ kind: 'status', status: 408 }, 'retry', false],
    [{ kind: 'status', status: 501 }, 'fail', true],
    [{ kind: 'status', status: 400 }, 'fail', true],
    [{ kind: 'status', status: 404 }, 'fail', true],
    [{ kind: 'network', code: 'ECONNRESET' }, 'retry', true],
    [{ kind: 'network', code: 'ECONNABORTED' }, 'retry', true],
    [{ kind: 'network', code: 'ECONNREFUSED' }, 'retry', false],
    [{ kind: 'network', code: 'ERR_INVALID_URL' }, 'fail', true],
  ] as const)('%j → %s (outcome unknown: %s)', (f, verdict, unknown) => {
    expect(classify(f)).toBe(verdict);
    expect(outcomeUnknown(f)).toBe(unknown);
  });
});

describe('requests per second', () => {
  test('spaces slots evenly and lets the clock catch up', () => {
    let t = 1000;
    const rl = new RateLimiter(10, () => t);
    expect([rl.reserve(), rl.reserve(), rl.reserve()]).toEqual([0, 100, 200]);
    t += 1000; // idle for a while: no debt carried over
    expect(rl.reserve()).toBe(0);
  });
  test('0 means unlimited', () => {
    const rl = new RateLimiter(0, () => 0);
    expect([rl.reserve(), rl.reserve()]).toEqual([0, 0]);
  });
});
