/**
 * Maintenance windows (src/rollout/window.ts): parsing, open/closed, the next opening — across
 * both DST changes in Europe/Zurich and America/New_York — checked against a minute-by-minute scan.
 */
import { closedWhy, isOpen, nextOpen, parseWindows, type Windows } from '../../src/rollout/window.js';

const parse = (v: unknown): Windows => {
  const r = parseWindows(v);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;

/** The first minute at or after `from` at which a window is open, by looking at every minute. */
function scan(ws: Windows, from: Date): Date | undefined {
  const start = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  if (isOpen(ws, from)) return from;
  for (let t = start; t < from.getTime() + 9 * 24 * 60 * MINUTE; t += MINUTE)
    if (isOpen(ws, new Date(t))) return new Date(t);
  return undefined;
}

/** Minutes (UTC ISO) of [from, to) at which the window is open, as runs `start/end`. */
function openRuns(ws: Windows, from: string, to: string): string[] {
  const runs: string[] = [];
  let begun: number | undefined;
  for (let t = Date.parse(from); t <= Date.parse(to); t += MINUTE) {
    const o = t < Date.parse(to) && isOpen(ws, new Date(t));
    if (o && begun === undefined) begun = t;
    if (!o && begun !== undefined) {
      runs.push(`${new Date(begun).toISOString().slice(0, 16)}/${new Date(t).toISOString().slice(0, 16)}`);
      begun = undefined;
    }
  }
  return runs;
}

describe('parsing', () => {
  it('reads days, ranges, lists, full names, a wrapping range, daily, and the zone (UTC by default)', () => {
    const [w] = parse('Mon-Fri 02:00-05:00 Europe/Zurich');
    expect({ days: [...w.days], start: w.start, end: w.end, zone: w.zone }).toEqual({
      days: [1, 2, 3, 4, 5],
      start: 120,
      end: 300,
      zone: 'Europe/Zurich',
    });
    expect([...parse('Sat,Sun 00:00-24:00')[0].days].sort()).toEqual([0, 6]);
    expect([...parse('fri-MON 22:00-02:00')[0].days].sort()).toEqual([0, 1, 5, 6]);
    expect([...parse('Monday,Wednesday-Thursday 01:00-02:00')[0].days].sort()).toEqual([1, 3, 4]);
    for (const t of ['daily 01:00-02:00', 'every day 01:00-02:00', '01:00-02:00'])
      expect(parse(t)[0]).toMatchObject({ zone: 'UTC', days: new Set([0, 1, 2, 3, 4, 5, 6]) });
    const two = parse(['Sat 10:00-11:00 America/New_York', 'Sun 10:00-11:00']);
    expect(two.map((w) => w.zone)).toEqual(['America/New_York', 'UTC']);
  });

  it.each([
    ['Mon-Fry 02:00-05:00 Europe/Zurich', '"mon-fry" is not a day or a range of days', 'write DAYS HH:MM-HH:MM [ZONE]'],
    ['Mon-Fri 02:00-25:00', '"02:00-25:00" is not a time range HH:MM-HH:MM', 'write DAYS HH:MM-HH:MM [ZONE]'],
    ['Mon-Fri 2:60-05:00', '"2:60-05:00" is not a time range', 'e.g. "Mon-Fri 02:00-05:00 Europe/Zurich"'],
    ['Mon-Fri', 'no time range HH:MM-HH:MM', 'write DAYS'],
    [
      'Mon-Fri 02:00-05:00 Europe/Zürich',
      'unknown time zone "Europe/Zürich"',
      'write an IANA zone such as Europe/Zurich',
    ],
    ['daily 03:00-03:00', 'starts and ends at the same time', 'for a whole day write 00:00-24:00'],
    [[], 'window is an empty list', 'write DAYS'],
    [[5], 'window 5 is not a text', 'or a list of them'],
  ])('refuses %j with what to write', (text, message, hint) => {
    const r = parseWindows(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('rollout.window');
    expect(r.error.message).toContain(message);
    expect(r.error.hint).toContain(hint);
  });
});

describe('open or closed', () => {
  const zurich = parse('Mon-Fri 02:00-05:00 Europe/Zurich');

  it('is open inside the local hours of a listed day only', () => {
    // Tuesday 8 December 2026, CET = UTC+1.
    expect(isOpen(zurich, at('2026-12-08T00:59Z'))).toBe(false);
    expect(isOpen(zurich, at('2026-12-08T01:00Z'))).toBe(true);
    expect(isOpen(zurich, at('2026-12-08T03:59Z'))).toBe(true);
    expect(isOpen(zurich, at('2026-12-08T04:00Z'))).toBe(false);
    // Saturday.
    expect(isOpen(zurich, at('2026-12-12T02:00Z'))).toBe(false);
  });

  it('a window crossing midnight belongs to the day it starts on', () => {
    const fri = parse('Fri 22:00-02:00');
    expect(openRuns(fri, '2026-12-10T00:00Z', '2026-12-14T00:00Z')).toEqual(['2026-12-11T22:00/2026-12-12T02:00']);
  });

  it('several windows: open in any of them, each in its own zone', () => {
    const ws = parse(['Sat 10:00-11:00 America/New_York', 'Sun 10:00-11:00']);
    expect(openRuns(ws, '2026-12-12T00:00Z', '2026-12-14T00:00Z')).toEqual([
      '2026-12-12T15:00/2026-12-12T16:00',
      '2026-12-13T10:00/2026-12-13T11:00',
    ]);
  });

  it('says when the window opens, in its own zone', () => {
    // Monday 7 December 2026, 21:48 CET.
    const now = at('2026-12-07T20:48Z');
    expect(closedWhy(zurich, now)).toEqual({
      opens: at('2026-12-08T01:00Z'),
      why: 'outside its maintenance window Mon-Fri 02:00-05:00 Europe/Zurich; opens in 4h 12m (2026-12-08 02:00 CET)',
    });
    // Friday after the window: Monday's.
    expect(nextOpen(zurich, at('2026-12-11T04:00Z'))).toEqual(at('2026-12-14T01:00Z'));
    expect(closedWhy(parse('Mon 09:00-10:00 America/New_York'), at('2026-12-07T20:00Z')).why).toContain(
      'opens in 6d 18h (2026-12-14 09:00 EST)',
    );
    expect(nextOpen(zurich, at('2026-12-08T02:00Z'))).toEqual(at('2026-12-08T02:00Z'));
  });
});

describe('daylight saving time', () => {
  it('Europe/Zurich spring forward (29 March 2026, 02:00 → 03:00): 02:00-03:00 does not open that day, 02:00-05:00 opens at 03:00', () => {
    const short = parse('daily 02:00-03:00 Europe/Zurich');
    expect(openRuns(short, '2026-03-28T00:00Z', '2026-03-31T00:00Z')).toEqual([
      '2026-03-28T01:00/2026-03-28T02:00',
      '2026-03-30T00:00/2026-03-30T01:00',
    ]);
    expect(nextOpen(short, at('2026-03-28T02:00Z'))).toEqual(at('2026-03-30T00:00Z'));
    const long = parse('daily 02:00-05:00 Europe/Zurich');
    expect(openRuns(long, '2026-03-29T00:00Z', '2026-03-29T12:00Z')).toEqual(['2026-03-29T01:00/2026-03-29T03:00']);
    expect(nextOpen(long, at('2026-03-28T23:30Z'))).toEqual(at('2026-03-29T01:00Z'));
    expect(closedWhy(long, at('2026-03-28T23:30Z')).why).toContain('opens in 1h 30m (2026-03-29 03:00 CEST)');
  });

  it('Europe/Zurich fall back (25 October 2026, 03:00 → 02:00): 02:30 happens twice and both are inside', () => {
    const ws = parse('daily 02:00-03:00 Europe/Zurich');
    expect(isOpen(ws, at('2026-10-25T00:30Z'))).toBe(true); // 02:30 CEST
    expect(isOpen(ws, at('2026-10-25T01:30Z'))).toBe(true); // 02:30 CET
    expect(openRuns(ws, '2026-10-24T12:00Z', '2026-10-26T12:00Z')).toEqual([
      '2026-10-25T00:00/2026-10-25T02:00',
      '2026-10-26T01:00/2026-10-26T02:00',
    ]);
    expect(nextOpen(ws, at('2026-10-24T23:00Z'))).toEqual(at('2026-10-25T00:00Z'));
    expect(closedWhy(ws, at('2026-10-25T02:00Z')).why).toContain('(2026-10-26 02:00 CET)');
  });

  it('America/New_York spring forward (8 March 2026) and fall back (1 November 2026)', () => {
    const spring = parse('daily 02:00-03:00 America/New_York');
    expect(nextOpen(spring, at('2026-03-08T05:00Z'))).toEqual(at('2026-03-09T06:00Z'));
    const fall = parse('Sun 01:00-02:00 America/New_York');
    expect(isOpen(fall, at('2026-11-01T05:30Z'))).toBe(true); // 01:30 EDT
    expect(isOpen(fall, at('2026-11-01T06:30Z'))).toBe(true); // 01:30 EST
    expect(openRuns(fall, '2026-11-01T00:00Z', '2026-11-02T00:00Z')).toEqual(['2026-11-01T05:00/2026-11-01T07:00']);
    expect(closedWhy(fall, at('2026-11-01T04:00Z')).why).toContain('opens in 1h 0m (2026-11-01 01:00 EDT)');
  });

  it.each([
    ['daily 02:00-03:00 Europe/Zurich', '2026-03-27T00:00Z'],
    ['Sun 02:00-03:00 Europe/Zurich', '2026-03-29T00:30Z'],
    ['Sat-Sun 23:00-02:30 Europe/Zurich', '2026-10-24T23:00Z'],
    ['daily 02:30-02:45 Europe/Zurich', '2026-10-25T01:00Z'],
    ['Mon-Fri 02:00-05:00 Europe/Zurich', '2026-10-23T04:05Z'],
    ['daily 02:00-03:00 America/New_York', '2026-03-07T08:00Z'],
    ['Sun 01:15-01:45 America/New_York', '2026-11-01T05:50Z'],
    ['Sat,Sun 22:00-03:00 America/New_York', '2026-03-07T03:01Z'],
    ['daily 02:00-02:45 Australia/Lord_Howe', '2026-10-02T12:00Z'],
    ['daily 01:45-02:15 Australia/Lord_Howe', '2026-10-02T12:00Z'],
  ])('nextOpen of %s from %s is the first open minute a minute-by-minute scan finds', (text, from) => {
    const ws = parse(text);
    for (let h = 0; h < 48; h += 7) {
      const now = new Date(Date.parse(from) + h * 60 * MINUTE);
      expect(nextOpen(ws, now)).toEqual(scan(ws, now));
    }
  });
});
