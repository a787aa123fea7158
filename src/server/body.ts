/**
 * Request bodies held in memory, bounded: at most `maxBody` bytes each and `inFlight` bytes for
 * all requests being read or handled at once. A declared length is checked (and reserved) before
 * a byte is read; a chunked body is counted as it arrives. Mender's API description states no
 * request size limit for the routes served here, so the limits are this server's own (docs/server.md).
 */
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';

export interface BodyLimits {
  /** Largest accepted body (413 above). A deployment naming 100,000 devices is about 4 MB. */
  maxBody: number;
  /** Bytes of bodies held at once over all requests (503 with Retry-After above). */
  inFlight: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBody: 16 << 20, inFlight: 64 << 20 };

/** A body read whole; `release` returns its bytes to the budget once the request is answered. */
export type Body = { ok: true; raw: Buffer; release: () => void } | { ok: false; status: 413 | 503 };

const EMPTY = Buffer.alloc(0);

export class BodyBudget {
  private used = 0;

  constructor(readonly limits: BodyLimits) {}

  /** Bytes reserved by requests in flight (for tests and diagnostics). */
  get inUse(): number {
    return this.used;
  }

  /** Whether the request has a body at all: most are GETs, which skip the stream machinery. */
  static expectsBody(req: IncomingMessage): boolean {
    const length = req.headers['content-length'];
    if (length !== undefined) return length !== '0';
    return req.headers['transfer-encoding'] !== undefined;
  }

  /** 413/503 from the declared length alone, before reading; undefined when it may be read. */
  precheck(req: IncomingMessage): 413 | 503 | undefined {
    const declared = declaredLength(req);
    if (declared === undefined) return this.used >= this.limits.inFlight ? 503 : undefined;
    if (declared > this.limits.maxBody) return 413;
    return this.used + declared > this.limits.inFlight ? 503 : undefined;
  }

  /** Reads the body within the limits; call `precheck` first. */
  async read(req: IncomingMessage): Promise<Body> {
    if (!BodyBudget.expectsBody(req)) return { ok: true, raw: EMPTY, release: () => {} };
    const declared = declaredLength(req);
    let taken = 0;
    const release = () => {
      this.used -= taken;
      taken = 0;
    };
    // A declared length is reserved whole up front, so parallel requests cannot overbook the budget.
    if (declared !== undefined) {
      this.used += declared;
      taken = declared;
    }
    const take = (n: number, size: number): 'ok' | 413 | 503 => {
      if (size > this.limits.maxBody) return 413;
      if (declared !== undefined) return 'ok';
      if (this.used + n > this.limits.inFlight) return 503;
      this.used += n;
      taken += n;
      return 'ok';
    };
    try {
      const raw = await collect(req, declared, take);
      if (typeof raw === 'number') {
        release();
        return { ok: false, status: raw };
      }
      return { ok: true, raw, release };
    } catch (e) {
      release();
      throw e;
    }
  }
}

function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

/**
 * The body, or the status that stopped reading (the rest stays unread, the stream paused). A
 * declared length is read into one buffer of that size: no second copy to join chunks.
 */
function collect(
  req: IncomingMessage,
  declared: number | undefined,
  take: (n: number, size: number) => 'ok' | 413 | 503,
): Promise<Buffer | 413 | 503> {
  return new Promise((resolve, reject) => {
    const whole = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = finished(req, (e) => {
      req.off('data', onData);
      if (e) reject(e);
      else if (whole) resolve(whole.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    const onData = (c: Buffer) => {
      const verdict = take(c.length, size + c.length);
      if (verdict !== 'ok') {
        req.off('data', onData);
        req.pause();
        stop();
        chunks.length = 0;
        resolve(verdict);
        return;
      }
      if (whole) c.copy(whole, size);
      else chunks.push(c);
      size += c.length;
    };
    req.on('data', onData);
  });
}
