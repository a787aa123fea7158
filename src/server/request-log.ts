/**
 * The management requests the server saw, for tests (GET /api/admin/v1/requests). Bounded by
 * count and by the bytes of the bodies it keeps, so large uploads cannot pile up in memory. The
 * tally (GET /api/admin/v1/requests/tally) counts every request since the last clear by route and
 * status, so a run of more requests than the log keeps can still be counted whole.
 */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  time: string;
}

const MAX_ENTRIES = 10_000;
const MAX_BODY_BYTES = 64 << 20;

/** `METHOD /route/:template` → status → requests answered so. */
export type RequestTally = Record<string, Record<string, number>>;

export class RequestLog {
  readonly entries: LoggedRequest[] = [];
  /** Keyed by route template, not path: bounded by the routes, whatever the ids a client sends. */
  tally: RequestTally = {};
  /** Body bytes of each entry, in step with `entries`. */
  private readonly sizes: number[] = [];
  private bytes = 0;

  /** `route`: the matched template (`(no route)` for a 404 of an unknown path). */
  add(entry: LoggedRequest, bodyBytes: number, route: string): void {
    const byStatus = (this.tally[`${entry.method} ${route}`] ??= {});
    byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
    this.entries.push(entry);
    this.sizes.push(bodyBytes);
    this.bytes += bodyBytes;
    // Trim in chunks: one splice per thousand requests, not one per request.
    if (this.entries.length > MAX_ENTRIES + 1000 || this.bytes > MAX_BODY_BYTES) this.trim();
  }

  clear(): void {
    this.tally = {};
    this.entries.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }

  /** Drops the oldest entries until both bounds hold (the newest entry always stays). */
  private trim(): void {
    let drop = Math.max(0, this.entries.length - MAX_ENTRIES);
    let bytes = this.bytes;
    for (let i = 0; i < drop; i++) bytes -= this.sizes[i];
    while (bytes > MAX_BODY_BYTES && drop < this.entries.length - 1) bytes -= this.sizes[drop++];
    this.entries.splice(0, drop);
    this.sizes.splice(0, drop);
    this.bytes = bytes;
  }
}
