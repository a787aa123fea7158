/** Command-line values of `fleetplay monitor`: durations (30s, 30m, 1h, 2d) and --max-failed (N or N%). */
import { z } from 'zod';
import { err, fleetError, ok, type Result } from '../errors/index.js';
import type { MaxFailed } from './classify.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DurationText = z.string().regex(/^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/);

export function parseDuration(flag: string, text: string): Result<number> {
  const m = DurationText.safeParse(text);
  if (!m.success)
    return err(
      fleetError('monitor.bad-duration', `${flag} ${text}: not a duration`, {
        hint: `write a number with a unit: 90s, 30m, 1h, 2d (${flag} 30m)`,
      }),
    );
  const [, n, unit] = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(m.data)!;
  return ok(Math.round(Number(n) * UNIT_MS[unit ?? 's']));
}

export function parseMaxFailed(text: string): Result<MaxFailed> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m || (m[2] === '' && !Number.isInteger(Number(m[1]))) || (m[2] === '%' && Number(m[1]) > 100)) {
    return err(
      fleetError('monitor.bad-max-failed', `--max-failed ${text}: not a number of devices or a percentage`, {
        hint: 'write a whole number (--max-failed 2) or a percentage up to 100 (--max-failed 5%)',
      }),
    );
  }
  return ok(m[2] === '%' ? { kind: 'percent', pct: Number(m[1]) } : { kind: 'count', n: Number(m[1]) });
}
