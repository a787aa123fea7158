/** Inventory v2 search: MongoDB-like predicates over device attributes, narrowed by the index first. */
import { z } from 'zod';
import { attributeValue } from './attr-index.js';
import type { AttrValue, Device } from './model.js';
import { checkInTime } from './sim.js';
import type { FleetState } from './state.js';

const Scope = z.enum(['system', 'identity', 'inventory', 'monitor', 'tags']);
const Predicate = z.strictObject({
  scope: Scope,
  attribute: z.string().min(1),
  type: z.enum(['$eq', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$ne', '$exists', '$regex']),
  value: z.unknown(),
});
export const SearchParamsSchema = z.strictObject({
  page: z.number().int().min(1).default(1),
  per_page: z.number().int().min(1).max(500).default(20),
  device_ids: z.array(z.string()).optional(),
  text: z.string().optional(),
  filters: z.array(Predicate).default([]),
  sort: z.array(z.strictObject({ attribute: z.string(), scope: Scope, order: z.enum(['asc', 'desc']) })).default([]),
  attributes: z.array(z.strictObject({ attribute: z.string(), scope: Scope })).optional(),
});
export type SearchParams = z.infer<typeof SearchParamsSchema>;
type Predicate = z.infer<typeof Predicate>;
type Scalar = string | number | boolean;

/** A bad predicate value, as Mender reports it (400). */
export function checkPredicates(filters: Predicate[]): string | undefined {
  for (const f of filters) {
    const list = f.type === '$in' || f.type === '$nin';
    if (list && !Array.isArray(f.value)) return `filters: ${f.type} on ${f.attribute} needs an array value`;
    if (f.type === '$exists' && typeof f.value !== 'boolean')
      return `filters: $exists on ${f.attribute} needs true or false`;
    if (f.type === '$regex') {
      if (typeof f.value !== 'string') return `filters: $regex on ${f.attribute} needs a string`;
      try {
        new RegExp(f.value);
      } catch {
        return `filters: $regex on ${f.attribute} is not a valid regular expression`;
      }
    }
  }
  return undefined;
}

const elements = (v: AttrValue | undefined): Scalar[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function compare(a: Scalar, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** MongoDB semantics: array attributes match when an element does; $ne/$nin match missing attributes. */
export function matches(v: AttrValue | undefined, f: Predicate): boolean {
  // Scalars (nearly every attribute) skip the array allocation.
  if (!Array.isArray(v) && v !== undefined) {
    if (f.type === '$eq') return v === f.value;
    if (f.type === '$ne') return v !== f.value;
  }
  const els = elements(v);
  switch (f.type) {
    case '$eq':
      return els.some((e) => e === f.value);
    case '$ne':
      return !els.some((e) => e === f.value);
    case '$in':
      return els.some((e) => (f.value as unknown[]).includes(e));
    case '$nin':
      return !els.some((e) => (f.value as unknown[]).includes(e));
    case '$exists':
      return (v !== undefined) === f.value;
    case '$regex':
      return els.some((e) => typeof e === 'string' && new RegExp(f.value as string).test(e));
    default: {
      const ok = {
        $gt: (c: number) => c > 0,
        $gte: (c: number) => c >= 0,
        $lt: (c: number) => c < 0,
        $lte: (c: number) => c <= 0,
      }[f.type];
      return els.some((e) => {
        const c = compare(e, f.value);
        return c !== undefined && ok(c);
      });
    }
  }
}

export interface SearchResult {
  total: number;
  page: Device[];
}

/**
 * One page of matching devices and the total. `$eq`/`$in` on indexed attributes are answered by
 * the index; the rest are checked device by device. Without a sort the page is picked while
 * counting, so a search over 100k devices allocates nothing of the fleet's size.
 */
export function search(state: FleetState, now: number, p: SearchParams): SearchResult {
  const value = (d: Device, scope: string, name: string) =>
    attributeValue(d, scope, name, (x) => checkInTime(state, x, now));
  let ids: Set<string> | undefined = p.device_ids ? new Set(p.device_ids) : undefined;
  const residual: Predicate[] = [];
  for (const f of p.filters) {
    const hit = indexed(state, f);
    if (!hit) {
      residual.push(f);
      continue;
    }
    ids = ids ? intersect(ids, hit) : hit;
  }
  const ok = residual.length
    ? (d: Device) => residual.every((f) => matches(value(d, f.scope, f.attribute), f))
    : () => true;
  const start = (p.page - 1) * p.per_page;
  if (p.sort.length === 0) {
    // Index answers alone give the total up front: stop as soon as the page is full.
    const known = residual.length === 0 && !p.device_ids ? (ids ?? state.devices).size : undefined;
    const page: Device[] = [];
    let total = 0;
    for (const d of candidates(state, ids)) {
      if (!ok(d)) continue;
      if (total >= start && page.length < p.per_page) page.push(d);
      total++;
      if (known !== undefined && page.length === p.per_page) break;
    }
    return { total: known ?? total, page };
  }
  const all = [...candidates(state, ids)].filter(ok);
  all.sort((a, b) => {
    for (const s of p.sort) {
      const c = sortCompare(value(a, s.scope, s.attribute), value(b, s.scope, s.attribute));
      if (c !== 0) return s.order === 'asc' ? c : -c;
    }
    return 0;
  });
  return { total: all.length, page: all.slice(start, start + p.per_page) };
}

function indexed(state: FleetState, f: Predicate): Set<string> | undefined {
  if (f.type !== '$eq' && f.type !== '$in') return undefined;
  const values = f.type === '$eq' ? [f.value] : (f.value as unknown[]);
  if (!values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) return undefined;
  return state.index.lookup(f.scope, f.attribute, values as Scalar[]);
}

function intersect(a: Set<string>, b: Set<string>): Set<string> {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<string>();
  for (const id of small) if (big.has(id)) out.add(id);
  return out;
}

/** Devices in fleet order: all of them, or those in `ids`. */
function* candidates(state: FleetState, ids: Set<string> | undefined): Iterable<Device> {
  if (!ids) return yield* state.devices.values();
  if (ids.size * 8 > state.devices.size) {
    // A large share of the fleet: one pass in fleet order beats sorting the hits.
    for (const d of state.devices.values()) if (ids.has(d.id)) yield d;
    return;
  }
  const found: Device[] = [];
  for (const id of ids) {
    const d = state.devices.get(id);
    if (d) found.push(d);
  }
  yield* found.length > 1 ? sortByFleetOrder(state, found) : found;
}

/** Missing values sort last; numbers before strings. */
function sortCompare(a: AttrValue | undefined, b: AttrValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const x = Array.isArray(a) ? a[0] : a;
  const y = Array.isArray(b) ? b[0] : b;
  if (typeof x === typeof y) return compare(x, y) ?? 0;
  return typeof x === 'number' ? -1 : 1;
}

const orderCache = new WeakMap<FleetState, { size: number; pos: Map<string, number> }>();
function sortByFleetOrder(state: FleetState, devices: Device[]): Device[] {
  let cached = orderCache.get(state);
  if (!cached || cached.size !== state.devices.size) {
    const pos = new Map<string, number>();
    let i = 0;
    for (const id of state.devices.keys()) pos.set(id, i++);
    orderCache.set(state, (cached = { size: state.devices.size, pos }));
  }
  const pos = cached.pos;
  return devices.sort((a, b) => pos.get(a.id)! - pos.get(b.id)!);
}
