/**
 * Which wave each device belongs to: the "first" devices, then every other device in the order of
 * a hash of its id. A pure function of the stage's devices and the policy, so a rerun, a run after
 * a crash and the monitor agree on it without a state file; a device joining the stage moves few
 * others (the order of the rest does not change).
 */
import { createHash } from 'node:crypto';
import type { Amount, RolloutPolicy } from './policy.js';

export interface Member {
  host: string;
  device: string;
  /** The host's inventory groups, for `first:` naming a group. */
  groups?: readonly string[];
}

const rank = (device: string): string => createHash('sha256').update(`fleetplay-wave:${device}`).digest('hex');

const byRank = (a: { key: string; device: string }, b: { key: string; device: string }): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.device < b.device ? -1 : a.device > b.device ? 1 : 0;

/** The devices in rollout order: `first` ones (host, device id or group), then by hash. */
export function rolloutOrder(members: readonly Member[], first: readonly string[]): string[] {
  return ordered(members, first).order;
}

function ordered(members: readonly Member[], first: readonly string[]): { order: string[]; firsts: number } {
  const named = new Set(first);
  const isFirst = (m: Member) => named.has(m.host) || named.has(m.device) || (m.groups ?? []).some((g) => named.has(g));
  const keyed = [...new Map(members.map((m) => [m.device, m])).values()].map((m) => ({
    device: m.device,
    first: isFirst(m),
    key: rank(m.device),
  }));
  const order = (xs: typeof keyed) => xs.sort(byRank).map((x) => x.device);
  const firsts = order(keyed.filter((x) => x.first));
  return { order: [...firsts, ...order(keyed.filter((x) => !x.first))], firsts: firsts.length };
}

/** Devices up to the end of a wave, for a stage of `n` devices. */
export function cumulative(a: Amount, n: number): number {
  // A share rounds up: 1% of 50 devices is one device, not none.
  return 'count' in a ? Math.min(a.count, n) : Math.min(n, Math.ceil((a.share * n) / 100 - 1e-9));
}

/** The waves' devices (device ids), first wave first; wave 1 holds at least every `first` device. */
export function assignWaves(members: readonly Member[], policy: Pick<RolloutPolicy, 'waves' | 'first'>): string[][] {
  const { order, firsts } = ordered(members, policy.first);
  const waves: string[][] = [];
  let start = 0;
  for (const [i, w] of policy.waves.entries()) {
    const end = Math.max(start, cumulative(w, order.length), i === 0 ? firsts : 0);
    waves.push(order.slice(start, end));
    start = end;
  }
  return waves;
}

/** Device id → wave number (1 for the first wave). */
export function waveNumbers(waves: readonly string[][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [i, devices] of waves.entries()) for (const d of devices) out.set(d, i + 1);
  return out;
}
