/**
 * Maintenance windows: `window: "Mon-Fri 02:00-05:00 Europe/Zurich"` (or a list of such texts),
 * the local times at which a device may be written for. Pure: `now` is always given.
 *
 * A window is a set of local wall-clock times: an instant is inside when its wall-clock time in
 * the window's zone is. Time zones and DST come from `Intl.DateTimeFormat` (the ICU data Node
 * ships, updated with Node), never from a table of ours. What follows from that, on purpose:
 * - the day DST starts, local times that do not exist are never inside: `02:00-03:00` in
 *   Europe/Zurich does not open on the last Sunday of March, `02:00-05:00` opens at 03:00 (the
 *   first existing local time inside it). fleetplay never writes at a time the operator did not
 *   allow; the next day's window opens as usual;
 * - the day DST ends, a local time that happens twice is inside both times: `02:00-03:00` lasts
 *   two hours on the last Sunday of October in Europe/Zurich.
 * A window crossing midnight (`Fri 22:00-02:00`) belongs to the day it starts on.
 */
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const FULL = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export interface Window {
  /** As written, for messages. */
  text: string;
  /** Days the window starts on, 0 = Sunday. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight; `end` ≤ `start` crosses midnight, `end` may be 1440 (24:00). */
  start: number;
  end: number;
  /** IANA zone; UTC when the text names none. */
  zone: string;
}

/** One or more windows: a device is inside when it is inside any of them. */
export type Windows = readonly Window[];

export const WINDOW_EXAMPLE = '"Mon-Fri 02:00-05:00 Europe/Zurich"';
const WRITE = `write DAYS HH:MM-HH:MM [ZONE], e.g. ${WINDOW_EXAMPLE} or "daily 22:00-02:00 UTC" (DAYS: daily, Mon, Mon-Fri, Sat,Sun; ZONE: an IANA zone, default UTC), or a list of them`;

const bad = (message: string, hint = WRITE): FleetError => fleetError('rollout.window', message, { hint });

/** The `window` variable: one text or a list of texts. */
export function parseWindows(value: unknown): Result<Windows> {
  const texts = Array.isArray(value) ? value : [value];
  if (texts.length === 0) return err(bad('window is an empty list: a device would never be written for'));
  const out: Window[] = [];
  for (const t of texts) {
    if (typeof t !== 'string') return err(bad(`window ${JSON.stringify(t)} is not a text`));
    const w = parseWindow(t);
    if (!w.ok) return w;
    out.push(w.value);
  }
  return ok(out);
}

export function parseWindow(text: string): Result<Window> {
  const parts = text.trim().split(/\s+/);
  const times = parts.findIndex((p) => /^\d/.test(p) && p.includes('-'));
  if (times < 0) return err(bad(`window "${text}": no time range HH:MM-HH:MM`));
  const daysText = parts.slice(0, times).join(' ');
  const zone = parts.slice(times + 1).join(' ') || 'UTC';
  const days = parseDays(daysText, text);
  if (!days.ok) return days;
  const range = parseRange(parts[times], text);
  if (!range.ok) return range;
  if (!validZone(zone))
    return err(
      bad(
        `window "${text}": unknown time zone "${zone}"`,
        'write an IANA zone such as Europe/Zurich, America/New_York or UTC (`timedatectl list-timezones` lists them)',
      ),
    );
  return ok({ text: text.trim(), days: days.value, ...range.value, zone });
}

function parseDays(s: string, text: string): Result<ReadonlySet<number>> {
  const lower = s.toLowerCase();
  if (lower === '' || lower === 'daily' || lower === 'every day') return ok(new Set([0, 1, 2, 3, 4, 5, 6]));
  const days = new Set<number>();
  for (const item of lower.split(/\s*,\s*/)) {
    const [a, b, extra] = item.split(/\s*-\s*/);
    const from = dayIndex(a);
    const to = b === undefined ? from : dayIndex(b);
    if (from < 0 || to < 0 || extra !== undefined)
      return err(bad(`window "${text}": "${item}" is not a day or a range of days (Mon, Mon-Fri, Sat,Sun, daily)`));
    // Fri-Mon wraps over the weekend.
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return ok(days);
}

const dayIndex = (s: string | undefined): number =>
  s === undefined ? -1 : s.length >= 3 ? Math.max(DAYS.indexOf(s as never), FULL.indexOf(s)) : -1;

function parseRange(s: string, text: string): Result<{ start: number; end: number }> {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(s);
  const start = m ? clock(m[1], m[2]) : undefined;
  const end = m ? clock(m[3], m[4]) : undefined;
  if (start === undefined || end === undefined || start === 1440)
    return err(bad(`window "${text}": "${s}" is not a time range HH:MM-HH:MM (00:00 to 24:00)`));
  if (start === end)
    return err(bad(`window "${text}": "${s}" starts and ends at the same time`, 'for a whole day write 00:00-24:00'));
  return ok({ start, end: end === 0 ? 1440 : end });
}

function clock(h: string, m: string): number | undefined {
  const hh = Number(h);
  const mm = Number(m);
  if (mm > 59 || hh > 24 || (hh === 24 && mm !== 0)) return undefined;
  return hh * 60 + mm;
}

function validZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock time of `t` in `zone`, as if it were UTC (ms), to second precision. */
function wall(t: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + (t - Math.floor(t / 1000) * 1000);
}

/** The window is open at `now`. */
export function isOpenIn(w: Window, now: number): boolean {
  const local = wall(now, w.zone);
  const minute = Math.floor((local % DAY) / MINUTE);
  const day = new Date(local).getUTCDay();
  if (w.end > w.start) return w.days.has(day) && minute >= w.start && minute < w.end;
  return (w.days.has(day) && minute >= w.start) || (w.days.has((day + 6) % 7) && minute < w.end);
}

export const isOpen = (ws: Windows, now: Date): boolean => ws.some((w) => isOpenIn(w, now.getTime()));

/**
 * The first instant at or after `now` at which a window is open (`now` itself when one is).
 * Windows open when the local clock reaches a start time, or at a DST change that skips into one.
 */
export function nextOpen(ws: Windows, now: Date): Date {
  const t = now.getTime();
  if (isOpen(ws, now)) return now;
  let best = Infinity;
  for (const w of ws) for (const c of candidates(w, t)) if (c > t && c < best && isOpenIn(w, c)) best = c;
  return new Date(best);
}

/** Instants in the next 8 days at which `w` may open: its start times each day, and the zone's offset changes. */
function candidates(w: Window, t: number): number[] {
  const out: number[] = [];
  const firstDay = Math.floor(wall(t, w.zone) / DAY) * DAY;
  for (let d = 0; d <= 8; d++) {
    const midnight = firstDay + d * DAY;
    if (w.days.has(new Date(midnight).getUTCDay())) out.push(...instantsOf(midnight + w.start * MINUTE, w.zone));
    const change = offsetChange(t + (d - 1) * DAY, t + d * DAY, w.zone);
    if (change !== undefined) out.push(change);
  }
  return out;
}

const offset = (t: number, zone: string): number => wall(t, zone) - t;

/** The instants whose wall-clock time is `local`: none in a DST gap, two in a repeated hour. */
function instantsOf(local: number, zone: string): number[] {
  const offsets = new Set([offset(local - 2 * DAY, zone), offset(local, zone), offset(local + 2 * DAY, zone)]);
  return [...offsets].map((o) => local - o).filter((i) => wall(i, zone) === local);
}

/** The first instant of a new UTC offset in (a, b], to the minute; undefined when it stays. */
function offsetChange(a: number, b: number, zone: string): number | undefined {
  const before = offset(a, zone);
  if (offset(b, zone) === before) return undefined;
  let lo = a;
  let hi = b;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (offset(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** `5h 12m`, `2d 3h`, `under a minute`. */
export function untilText(ms: number): string {
  const minutes = Math.ceil(ms / MINUTE);
  if (minutes < 1) return 'under a minute';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
}

/** `2026-12-08 02:00 CET` in the window's zone (its abbreviation where one is known, else its offset). */
export function localText(at: Date, zone: string): string {
  const p: Record<string, string> = {};
  for (const part of new Intl.DateTimeFormat('en-CA', { ...LOCAL, timeZone: zone }).formatToParts(at))
    p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${zoneName(at, zone)}`;
}

const LOCAL: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
};

/** en-US knows EST/PST but calls Zurich GMT+1; en-GB knows CET/CEST: the first that is not an offset. */
function zoneName(at: Date, zone: string): string {
  const names = ['en-US', 'en-GB'].map(
    (l) =>
      new Intl.DateTimeFormat(l, { timeZone: zone, timeZoneName: 'short' })
        .formatToParts(at)
        .find((x) => x.type === 'timeZoneName')?.value ?? zone,
  );
  return names.find((n) => !/^GMT[+-]/.test(n)) ?? names[0];
}

/** Why a device is not written for now: the windows as written and when the first opens. */
export function closedWhy(ws: Windows, now: Date): { opens: Date; why: string } {
  const opens = nextOpen(ws, now);
  const first = ws.find((w) => isOpenIn(w, opens.getTime())) ?? ws[0];
  const texts = ws.map((w) => w.text).join(', ');
  return {
    opens,
    why: `outside its maintenance window ${texts}; opens in ${untilText(opens.getTime() - now.getTime())} (${localText(opens, first.zone)})`,
  };
}
