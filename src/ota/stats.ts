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
  /** Requests sent per wall-clock second (epoch second → count): what the rps budget is measured by. */
  perSecond?: Record<string, number>;
  /** Times (ms) of the first and the last request sent. */
  span?: [number, number];
  /** Per server, the rps budget and how much of it the run used (src/modules/mender/session.ts). */
  budgets?: RpsUsage[];
}

/** How much of a server's requests-per-second budget a run used (report.json `api.budget`). */
export interface RpsUsage {
  server: string;
  /** `mender_api.rps`; 0: no budget. */
  rps_budget: number;
  requests: number;
  /** From the first request sent to the last. */
  seconds: number;
  /** Most requests sent within one wall-clock second. */
  peak_rps: number;
}

export class OtaStats {
  private readonly requests = new Map<string, number>();
  private readonly retries = new Map<string, number>();
  private readonly outcomes = new Map<string, number>();
  private readonly perSecond = new Map<number, number>();
  private readonly budgets: RpsUsage[] = [];
  private first = Infinity;
  private last = -Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  count(op: string): void {
    this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
    const t = this.now();
    const sec = Math.floor(t / 1000);
    this.perSecond.set(sec, (this.perSecond.get(sec) ?? 0) + 1);
    this.first = Math.min(this.first, t);
    this.last = Math.max(this.last, t);
  }

  /** Requests, their span and their peak per second, against a budget of `rps` (0: none). */
  usage(server: string, rps: number): RpsUsage {
    const requests = [...this.perSecond.values()].reduce((a, b) => a + b, 0);
    return {
      server,
      rps_budget: rps,
      requests,
      seconds: requests ? Math.round(this.last - this.first) / 1000 : 0,
      peak_rps: Math.max(0, ...this.perSecond.values()),
    };
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
    for (const [k, n] of Object.entries(s.perSecond ?? {}))
      this.perSecond.set(Number(k), (this.perSecond.get(Number(k)) ?? 0) + n);
    if (s.span) [this.first, this.last] = [Math.min(this.first, s.span[0]), Math.max(this.last, s.span[1])];
    this.budgets.push(...(s.budgets ?? []));
  }

  /** Adds a server's usage to what the snapshot reports. */
  addBudget(u: RpsUsage): void {
    this.budgets.push(u);
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
      perSecond: Object.fromEntries(this.perSecond),
      ...(this.first <= this.last ? { span: [this.first, this.last] as [number, number] } : {}),
      ...(this.budgets.length ? { budgets: [...this.budgets] } : {}),
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
