/**
 * A real pass-through HTTP proxy in front of the embedded server, for what the server itself
 * cannot show: how many requests a client has in flight at once, an answer lost after the server
 * acted, a status the server never sends (403 for a token lacking a permission).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: pass it on, pass it on and drop the answer, or answer itself. */
export type ProxyAction = 'forward' | 'lose' | { status: number; body: unknown };

export interface TestProxy {
  url: string;
  /** Requests that reached the proxy, oldest first, with what it did. */
  readonly seen: { method: string; path: string; action: 'forward' | 'lose' | number }[];
  /** Most requests the proxy had open at the same moment. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

export async function testProxy(
  target: string,
  decide: (method: string, path: string) => ProxyAction = () => 'forward',
): Promise<TestProxy> {
  const seen: TestProxy['seen'] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const proxy = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let open = true;
    const done = () => void (open && ((open = false), inFlight--));
    res.on('close', done);
    const method = req.method ?? 'GET';
    const action = decide(method, new URL(req.url ?? '/', target).pathname);
    seen.push({
      method,
      path: new URL(req.url ?? '/', target).pathname,
      action: typeof action === 'object' ? action.status : action,
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const answer = async () => {
      if (typeof action === 'object') {
        res.writeHead(action.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(action.body));
        return;
      }
      const upstream = await fetch(`${target}${req.url}`, {
        method,
        headers: {
          authorization: req.headers.authorization ?? '',
          'content-type': req.headers['content-type'] ?? 'application/json',
        },
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (action === 'lose') {
        // The server acted; the client never hears of it.
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection') headers[k] = v;
      });
      res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length) });
      res.end(body);
    };
    req.on('end', () => {
      answer().catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((r) => {
        proxy.closeAllConnections();
        proxy.close(() => r());
      }),
  };
}
