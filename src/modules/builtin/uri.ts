/**
 * uri: HTTP requests from the controller, with ansible 2.14's arguments and result shape
 * (status, json, content, cookies, lower_case_headers). In check mode / dry-run, GET and
 * HEAD still run (they are how facts are gathered); writes are reported, not sent.
 */
import { z } from 'zod';
import { maskSecretKeys, registerSecret } from '../../log/index.js';
import type { Defer, ModuleDef, ModuleResult } from '../registry.js';

const Bool = z.union([z.boolean(), z.string()]).transform((v) => v === true || /^(true|yes|on|1)$/i.test(String(v)));

const Args = z
  .object({
    url: z.string(),
    method: z.string().default('GET'),
    headers: z.record(z.string(), z.unknown()).default({}),
    body: z.unknown().optional(),
    body_format: z.enum(['raw', 'json', 'form-urlencoded']).default('raw'),
    user: z.string().optional(),
    url_username: z.string().optional(),
    password: z.string().optional(),
    url_password: z.string().optional(),
    force_basic_auth: Bool.default(false),
    status_code: z.union([z.coerce.number(), z.array(z.coerce.number())]).default([200]),
    return_content: Bool.default(false),
    timeout: z.coerce.number().default(30),
    validate_certs: Bool.default(true),
    follow_redirects: z.string().optional(),
  })
  .strict();
type Args = z.infer<typeof Args>;

function encodeBody(a: Args, headers: Record<string, string>): string | undefined {
  if (a.body === undefined || a.body === null) return undefined;
  const has = (h: string) => Object.keys(headers).some((k) => k.toLowerCase() === h);
  if (a.body_format === 'json') {
    if (!has('content-type')) headers['Content-Type'] = 'application/json';
    return typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  }
  if (a.body_format === 'form-urlencoded') {
    if (!has('content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (typeof a.body === 'string') return a.body;
    const pairs = Array.isArray(a.body) ? a.body : Object.entries(a.body);
    return new URLSearchParams(pairs.map(([k, v]: [string, unknown]): [string, string] => [k, String(v)])).toString();
  }
  return typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
}

/**
 * `--diff` of a request not sent (check mode): nothing before, the body after — a JSON body as
 * the document (printed as sorted pretty JSON) with values under secret-looking keys masked.
 */
function requestDiff(a: Args, method: string, body: string | undefined): Record<string, unknown> {
  const doc =
    a.body_format === 'json' && a.body !== null && typeof a.body === 'object' ? maskSecretKeys(a.body) : (body ?? '');
  return { before: '', after: doc, after_header: `${method} ${a.url}` };
}

/** ansible lower-cases response header names and turns '-' into '_'. */
function headerFacts(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k.toLowerCase().replace(/-/g, '_')] = v));
  return out;
}

/**
 * ansible's absolute_location: a Location header relative to the request's URL made absolute —
 * "/x" against its scheme and host (the URL with its path taken out, as Python's str.replace
 * does), "x" against its folder.
 */
export function absoluteLocation(url: string, location: string): string {
  if (location.includes('://')) return location;
  if (location.startsWith('/')) {
    const path = /^[^:/?#]+:\/\/[^/?#]*([^?#]*)/.exec(url)?.[1] ?? '';
    return `${path ? url.split(path).join('') : url}${location}`;
  }
  return `${url.slice(0, Math.max(0, url.lastIndexOf('/')))}/${location}`;
}

function cookiesOf(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of h.getSetCookie?.() ?? []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

export const uri: ModuleDef<Args> = {
  name: 'uri',
  args: Args,
  checkMode: true,
  async run(a, ctx): Promise<ModuleResult> {
    const method = a.method.toUpperCase();
    const headers: Record<string, string> = Object.fromEntries(
      Object.entries(a.headers).map(([k, v]) => [k, String(v)]),
    );
    const user = a.url_username ?? a.user;
    const password = a.url_password ?? a.password;
    registerSecret(password);
    for (const [k, v] of Object.entries(headers))
      if (/^(authorization|x-.*token.*)$/i.test(k)) registerSecret(v.replace(/^(Bearer|Basic|token)\s+/i, ''));
    if (user !== undefined && a.force_basic_auth)
      headers.Authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
    const body = encodeBody(a, headers);
    const writing = method !== 'GET' && method !== 'HEAD';
    if (writing && (ctx.checkMode || ctx.defer)) {
      const diff = ctx.diff ? { diff: requestDiff(a, method, body) } : {};
      if (ctx.checkMode)
        return { changed: true, msg: `check mode: would send ${method} ${a.url}`, url: a.url, method, ...diff };
      deferRequest(ctx.defer!, ctx.host, method, a.url, () => send(a, method, headers, body));
      // What a sent request returns when it succeeds (changed false, as ansible's uri); a later
      // task that reads its status or json waits for the apply (docs/playbooks.md, "Plan, then apply").
      return { changed: false, msg: `will send ${method} ${a.url}`, url: a.url, method, ...diff };
    }
    return send(a, method, headers, body);
  },
};

/**
 * The apply phase sends it; a failure (status not expected, no answer) is the host's new result,
 * and the answer is what a register of the task reads then (src/engine/deferred.ts).
 */
function deferRequest(defer: Defer, host: string, method: string, url: string, go: () => Promise<ModuleResult>): void {
  defer({
    hosts: [host],
    changed: false,
    describe: `${method} ${url}`,
    run: async (only) => {
      if (!only.has(host)) return new Map();
      return new Map([[host, await go()]]);
    },
  });
}

async function send(
  a: Args,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<ModuleResult> {
  const codes = Array.isArray(a.status_code) ? a.status_code : [a.status_code];
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(a.url, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(a.timeout * 1000),
      redirect: a.follow_redirects === 'none' ? 'manual' : 'follow',
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return {
      failed: true,
      changed: false,
      status: -1,
      url: a.url,
      elapsed: Math.round((Date.now() - started) / 1000),
      msg: `Status code was -1 and not [${codes.join(', ')}]: Request failed: ${cause?.message ?? (e as Error).message}`,
      unreachable_api: true,
    };
  }
  const text = await res.text();
  const ctype = res.headers.get('content-type') ?? '';
  const out: ModuleResult = {
    changed: false,
    status: res.status,
    url: res.url || a.url,
    redirected: res.redirected,
    elapsed: Math.round((Date.now() - started) / 1000),
    cookies: cookiesOf(res.headers),
    cookies_string: Object.entries(cookiesOf(res.headers))
      .map(([k, v]) => `${k}=${v}`)
      .join('; '),
    ...headerFacts(res.headers),
    ...(res.headers.has('location') ? { location: absoluteLocation(a.url, res.headers.get('location')!) } : {}),
    msg: `OK (${text.length === 0 ? 'unknown' : Buffer.byteLength(text)} bytes)`,
  };
  if (/json/.test(ctype) && text) {
    try {
      out.json = JSON.parse(text);
    } catch {
      // Not JSON after all; ansible leaves `json` out too.
    }
  }
  if (a.return_content) out.content = text;
  if (!codes.includes(res.status)) {
    out.failed = true;
    out.msg = `Status code was ${res.status} and not [${codes.join(', ')}]: HTTP Error ${res.status}: ${res.statusText}`;
    if (!a.return_content) out.content = text;
  }
  return out;
}
