/**
 * An OTA server that breaks the contract on one endpoint at a time: a pass-through proxy in front
 * of the real embedded server (test/ota/hostile-server.ts's forwarding) whose misbehaviour each
 * corpus case sets — a status, headers and body of its own, or the real answer altered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closer, forward, readAll, send, type Upstream } from '../ota/hostile-server.js';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Misbehaviour {
  method: string;
  /** The endpoint that misbehaves (matched against the path without the query). */
  path: RegExp;
  /** A fixed wrong answer, or the real one altered (its body as parsed JSON). */
  answer: Answer | ((real: unknown) => Answer);
}

export interface OtaProxy {
  url: string;
  /** The misbehaviour of the next run (undefined: relay everything). */
  set(m: Misbehaviour | undefined): void;
  /** Requests the misbehaving endpoint answered since the last set(). */
  readonly hits: number;
  close(): Promise<void>;
}

export async function otaProxy(upstream: string): Promise<OtaProxy> {
  let current: Misbehaviour | undefined;
  let hits = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    void readAll(req).then(async (body) => {
      const real = () => forward(upstream, req.url ?? '/', req, body);
      const m = current;
      if (!m || req.method !== m.method || !m.path.test(path)) return relayed(res, await real());
      hits++;
      const a = typeof m.answer === 'function' ? m.answer(parsed(await real())) : m.answer;
      send(res, a.status, a.headers ?? { 'content-type': 'application/json' }, a.body ?? '');
    });
  });
  const close = closer(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set(m) {
      current = m;
      hits = 0;
    },
    get hits() {
      return hits;
    },
    close,
  };
}

function relayed(res: Parameters<typeof send>[0], u: Upstream): number {
  return send(res, u.status, u.headers, u.body);
}

function parsed(u: Upstream): unknown {
  try {
    return JSON.parse(u.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
