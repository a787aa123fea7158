/** Fault injection for reliability tests: off by default, set through PUT /api/admin/v1/faults. */
import { z } from 'zod';

export const FaultSpecSchema = z.strictObject({
  /** Share of requests answered 5xx (`error_status`, default 500). */
  error_rate: z.number().min(0).max(1).default(0),
  error_status: z.number().int().min(500).max(599).default(500),
  /** Share of requests answered 429 with Retry-After. */
  throttle_rate: z.number().min(0).max(1).default(0),
  retry_after: z.number().int().nonnegative().default(1),
  /** Added latency in ms for every affected request. */
  latency_ms: z.number().int().nonnegative().default(0),
  /** Share of requests whose connection is destroyed without an answer. */
  drop_rate: z.number().min(0).max(1).default(0),
  /** Only the next N affected requests (then faults switch off); unlimited when absent. */
  count: z.number().int().positive().optional(),
  /** Only requests whose path starts with this prefix. */
  path_prefix: z.string().default('/api/management/'),
  /** Only requests with this method (any when absent). */
  method: z.string().toUpperCase().optional(),
  /** The first N matching requests pass untouched: a fault from the N+1st on. */
  skip: z.number().int().nonnegative().default(0),
  /**
   * Affected requests are read, then held unanswered until the faults are set again (PUT or
   * DELETE); then they go on: served, or dropped unserved with `drop_rate: 1`. Lets a test stop
   * a client at a known request — the client killed while the server holds its write.
   */
  hold: z.boolean().default(false),
  /** Seed of the draws, so a given share hits the same requests every run. */
  seed: z.number().int().default(1),
});
export type FaultSpec = z.input<typeof FaultSpecSchema>;
type Faults = z.infer<typeof FaultSpecSchema>;

export type FaultAction =
  { kind: 'none' } | { kind: 'error'; status: number } | { kind: 'throttle'; retryAfter: number } | { kind: 'drop' };

export interface FaultDecision {
  action: FaultAction;
  /** Latency is separate since it combines with the rest. */
  latencyMs: number;
  /** Wait for this before answering (`hold`). */
  hold?: Promise<void>;
}

export const NO_FAULT: FaultDecision = { action: { kind: 'none' }, latencyMs: 0 };

export class FaultInjector {
  private spec: Faults | undefined;
  private remaining = Infinity;
  private skipped = 0;
  private rng = 1;
  private held: (() => void)[] = [];

  /** New faults (or none); requests held by the old ones go on. */
  set(spec: FaultSpec | undefined): void {
    this.spec = spec ? FaultSpecSchema.parse(spec) : undefined;
    this.remaining = this.spec?.count ?? Infinity;
    this.skipped = 0;
    this.rng = this.spec?.seed ?? 1;
    for (const release of this.held.splice(0)) release();
  }

  get current(): (Faults & { held: number }) | undefined {
    return this.spec && { ...this.spec, held: this.held.length };
  }

  decide(method: string, path: string): FaultDecision {
    const s = this.spec;
    if (!s || this.remaining <= 0 || !path.startsWith(s.path_prefix)) return NO_FAULT;
    if (s.method !== undefined && s.method !== method) return NO_FAULT;
    if (this.skipped < s.skip) {
      this.skipped++;
      return NO_FAULT;
    }
    this.remaining--;
    const r = this.next();
    let action: FaultAction = { kind: 'none' };
    if (r < s.drop_rate) action = { kind: 'drop' };
    else if (r < s.drop_rate + s.throttle_rate) action = { kind: 'throttle', retryAfter: s.retry_after };
    else if (r < s.drop_rate + s.throttle_rate + s.error_rate) action = { kind: 'error', status: s.error_status };
    const hold = s.hold ? new Promise<void>((r) => this.held.push(r)) : undefined;
    return { action, latencyMs: s.latency_ms, ...(hold ? { hold } : {}) };
  }

  /** xorshift32: deterministic draws in [0, 1). */
  private next(): number {
    let x = this.rng || 1;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 2 ** 32;
  }
}
