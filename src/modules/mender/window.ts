/**
 * Maintenance windows for the mender_* modules: which hosts are outside theirs at the OTA
 * server's time. A host outside its window is planned as usual; its writes are not made, and its
 * decision says when the window opens (src/rollout/window.ts).
 */
import { z } from 'zod';
import { formatError } from '../../errors/index.js';
import type { MenderClient } from '../../ota/client.js';
import { closedWhy, isOpen, parseWindows } from '../../rollout/window.js';
import type { Item, Result_ } from './common.js';

/** The `window` argument: one text or a list (the default playbook passes the `window` variable). */
export const WindowArg = z.union([z.string(), z.array(z.string())]).optional();

export interface Closed {
  /** When the first window opens (ISO, the server's time). */
  opens: string;
  /** The windows as written. */
  window: string;
  why: string;
}

export interface WindowGate {
  closed: Map<string, Closed>;
  /** Hosts whose `window` cannot be read (given with -e, or templated): why. */
  failed: Map<string, Result_>;
}

/**
 * Hosts outside their window now. The server's clock is asked only when a host has a window;
 * hosts sharing a window (a stage's, a group's) share one computation.
 */
export async function windowGate(
  client: MenderClient,
  items: Item<{ window?: string | string[] }>[],
): Promise<WindowGate> {
  const gate: WindowGate = { closed: new Map(), failed: new Map() };
  const withWindow = items.filter((i) => i.args.window !== undefined);
  if (withWindow.length === 0) return gate;
  const now = new Date(await client.serverTime());
  const memo = new Map<string, Closed | Result_ | undefined>();
  for (const i of withWindow) {
    const key = JSON.stringify(i.args.window);
    if (!memo.has(key)) memo.set(key, closedAt(i.args.window, now));
    const c = memo.get(key);
    if (c && 'failed' in c) gate.failed.set(i.host, c);
    else if (c) gate.closed.set(i.host, c as Closed);
  }
  return gate;
}

function closedAt(window: unknown, now: Date): Closed | Result_ | undefined {
  const ws = parseWindows(window);
  if (!ws.ok) return { failed: true, msg: formatError(ws.error) };
  if (isOpen(ws.value, now)) return undefined;
  const { opens, why } = closedWhy(ws.value, now);
  return { opens: opens.toISOString(), window: ws.value.map((w) => w.text).join(', '), why };
}
