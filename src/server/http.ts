/**
 * A small table-driven router on node:http: routes are path templates (`/devices/:id`),
 * matched segment by segment; handlers return a Reply value instead of writing the response.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body (application/jwt, text/plain) instead of JSON. */
  text?: string;
  contentType?: string;
}

export type Auth = 'management' | 'login' | 'admin' | 'none';

export interface Ctx {
  req: IncomingMessage;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  /** Why the body is not JSON; only handlers that read a body answer 400 for it, as Mender's do. */
  bodyError?: string;
  requestId: string;
  /** Scheme://host of the request, for Location and Link headers. */
  origin: string;
  /** The matched route's template, once routed (the request log's tally counts by it). */
  route?: string;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  template: string;
  segments: string[];
  handler: Handler;
  auth: Auth;
}

export class Router {
  private readonly bySize = new Map<number, Route[]>();

  add(method: string, template: string, auth: Auth, handler: Handler): this {
    const segments = template.split('/').filter(Boolean);
    const list = this.bySize.get(segments.length) ?? [];
    // Static segments win over parameters (`/deployments/statistics/list` before `/deployments/:id/...`).
    list.push({ method, template: `/${segments.join('/')}`, segments, handler, auth });
    list.sort((a, b) => specificity(b) - specificity(a));
    this.bySize.set(segments.length, list);
    return this;
  }

  /** Every route as method + template (for contract coverage checks). */
  list(): { method: string; template: string; auth: Auth }[] {
    return [...this.bySize.values()].flat().map((r) => ({ method: r.method, template: r.template, auth: r.auth }));
  }

  /** The route for a request, `405` when only the method is wrong, undefined when nothing matches. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 405 | undefined {
    const parts = path.split('/').filter(Boolean);
    let wrongMethod = false;
    for (const route of this.bySize.get(parts.length) ?? []) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      wrongMethod = true;
    }
    return wrongMethod ? 405 : undefined;
  }
}

const specificity = (r: Route) => r.segments.reduce((n, s, i) => n + (s.startsWith(':') ? 0 : 2 ** (16 - i)), 0);

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t.startsWith(':')) {
      try {
        params[t.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
    } else if (t !== parts[i]) return undefined;
  }
  return params;
}

/** Mender's error body. */
export function fail(
  status: number,
  error: string,
  ctx: { requestId: string },
  headers?: Record<string, string>,
): Reply {
  return { status, body: { error, request_id: ctx.requestId }, headers };
}

/** Validates a request body with a zod schema; a 400 Reply says which field is wrong. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  ctx: Ctx,
): { ok: true; value: z.infer<S> } | { ok: false; reply: Reply } {
  if (ctx.bodyError !== undefined)
    return { ok: false, reply: fail(400, `failed to decode request body: ${ctx.bodyError}`, ctx) };
  const r = schema.safeParse(ctx.body);
  if (r.success) return { ok: true, value: r.data };
  const i = r.error.issues[0];
  const where = i.path.length ? `${i.path.join('.')}: ` : '';
  return { ok: false, reply: fail(400, `failed to decode request body: ${where}${i.message}`, ctx) };
}

export interface Page {
  page: number;
  perPage: number;
}

/** page/per_page from the query with the spec's defaults and maximum; 400 on nonsense. */
export function paging(
  ctx: Ctx,
  defaultPerPage: number,
  max: number,
): { ok: true; value: Page } | { ok: false; reply: Reply } {
  const read = (name: string, dflt: number) => {
    const raw = ctx.query.get(name);
    if (raw === null || raw === '') return dflt;
    return /^\d+$/.test(raw) ? Number(raw) : NaN;
  };
  const page = read('page', 1);
  const perPage = read('per_page', defaultPerPage);
  if (!(page >= 1)) return { ok: false, reply: fail(400, 'invalid page query: expected a positive integer', ctx) };
  if (!(perPage >= 1))
    return { ok: false, reply: fail(400, 'invalid per_page query: expected a positive integer', ctx) };
  if (perPage > max)
    return { ok: false, reply: fail(400, `invalid per_page query: must be less than or equal to ${max}`, ctx) };
  return { ok: true, value: { page, perPage } };
}

/**
 * page/per_page as Mender's artifact and release listings read them: nonsense falls back to the
 * defaults instead of a 400 (deployments' getReleaseOrImageFilter).
 */
export function lenientPaging(ctx: Ctx, defaultPerPage: number, max: number): Page {
  const read = (name: string) => {
    const n = Number(ctx.query.get(name) ?? '');
    return Number.isInteger(n) ? n : 0;
  };
  const page = read('page');
  const perPage = read('per_page');
  return { page: page > 0 ? page : 1, perPage: perPage > 0 && perPage <= max ? perPage : defaultPerPage };
}

/** Link header with first/prev/next, as Mender sends it. */
export function linkHeader(ctx: Ctx, p: Page, total: number | undefined, hasMore: boolean): string {
  const url = (page: number) => {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(page));
    q.set('per_page', String(p.perPage));
    return `<${ctx.path}?${q.toString()}>`;
  };
  const links = [`${url(1)}; rel="first"`];
  if (p.page > 1) links.push(`${url(p.page - 1)}; rel="prev"`);
  if (hasMore || (total !== undefined && p.page * p.perPage < total)) links.push(`${url(p.page + 1)}; rel="next"`);
  return links.join(', ');
}

/** One page of `items` as a Reply with X-Total-Count and Link. */
export function pagedReply<T>(ctx: Ctx, p: Page, items: T[], map: (t: T) => unknown, withTotal = true): Reply {
  const start = (p.page - 1) * p.perPage;
  const slice = items.slice(start, start + p.perPage);
  const headers: Record<string, string> = { Link: linkHeader(ctx, p, items.length, false) };
  if (withTotal) headers['X-Total-Count'] = String(items.length);
  return { status: 200, body: slice.map(map), headers };
}

export const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();
