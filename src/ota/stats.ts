/**
 * Request counters per endpoint, for the run report ("requests per run / per device") and for
 * tests that prove a bulk path makes one request per page rather than one per device.
 */
export interface OtaStatsSnapshot {
  requests: number;
  retries: number;
  byEndpoint: Record<string, number>;
  retriesByEndpoint: Record<string, number>;
  /** HTTP status (or network error code) → how many answers. */
  outcomes: Record<string, number>;
}

export class OtaStats {
  private readonly requests = new Map<string, number>();
  private readonly retries = new Map<string, number>();
  private readonly outcomes = new Map<string, number>();

  count(op: string): void {
    this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
  }

  retry(op: string): void {
    this.retries.set(op, (this.retries.get(op) ?? 0) + 1);
  }

  status(s: number | string): void {
    const k = String(s);
    this.outcomes.set(k, (this.outcomes.get(k) ?? 0) + 1);
  }

  /** Adds counts made elsewhere (a worker thread reading configurations). */
  merge(s: OtaStatsSnapshot): void {
    const add = (m: Map<string, number>, from: Record<string, number>) => {
      for (const [k, n] of Object.entries(from)) m.set(k, (m.get(k) ?? 0) + n);
    };
    add(this.requests, s.byEndpoint);
    add(this.retries, s.retriesByEndpoint);
    add(this.outcomes, s.outcomes);
  }

  /** Requests sent whose method writes (POST/PUT/PATCH/DELETE), login and searches excepted. */
  writes(): number {
    let n = 0;
    for (const [op, c] of this.requests) if (isWrite(op)) n += c;
    return n;
  }

  snapshot(): OtaStatsSnapshot {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      requests: sum(this.requests),
      retries: sum(this.retries),
      byEndpoint: Object.fromEntries([...this.requests].sort()),
      retriesByEndpoint: Object.fromEntries([...this.retries].sort()),
      outcomes: Object.fromEntries([...this.outcomes].sort()),
    };
  }
}

/** POSTs that only read (search, statistics, login) are not writes. */
const READ_POSTS = [/\/filters\/search$/, /\/statistics\/list$/, /\/auth\/login$/];

export function isWrite(op: string): boolean {
  const [method, path = ''] = op.split(' ');
  if (method === 'GET') return false;
  if (method === 'POST' && READ_POSTS.some((r) => r.test(path))) return false;
  return true;
}
