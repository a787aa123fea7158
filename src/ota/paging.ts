/**
 * Paging headers of the Mender API: `Link` (RFC 8288, rels first/next/prev) and `X-Total-Count`.
 */

/** Parses a Link header into rel → URL. Unknown or malformed parts are skipped, not fatal. */
export function parseLink(header: string | undefined | null): Map<string, string> {
  const rels = new Map<string, string>();
  if (!header) return rels;
  // Split on commas that start a new `<...>` entry; URLs may contain commas themselves.
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/.exec(part);
    if (!m) continue;
    for (const param of m[2].split(';')) {
      const p = /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(param);
      if (!p) continue;
      for (const rel of p[1].trim().split(/\s+/)) if (rel) rels.set(rel.toLowerCase(), m[1]);
    }
  }
  return rels;
}

/** X-Total-Count as a number, or undefined when absent or not a count. */
export function parseTotalCount(header: string | undefined | null): number | undefined {
  if (header === undefined || header === null || header === '') return undefined;
  const n = Number(header);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export interface PageInfo {
  page: number;
  perPage: number;
  received: number;
  link?: string | null;
  totalCount?: string | null;
}

/**
 * Whether another page follows. The Link header decides when the server sends one; otherwise
 * X-Total-Count; otherwise a full page means "maybe more" (one extra, empty request at most).
 */
export function hasNextPage(info: PageInfo): boolean {
  if (info.link) return parseLink(info.link).has('next');
  const total = parseTotalCount(info.totalCount);
  if (total !== undefined) return info.page * info.perPage < total;
  return info.received >= info.perPage;
}

/** How many pages a result of `total` items needs. */
export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}

/** Splits a list into chunks of at most `size` (used for device-id lists and deployments). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (size < 1) throw new RangeError(`chunk size must be at least 1, not ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
