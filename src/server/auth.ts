/**
 * Management API authentication: personal access tokens (Bearer, configured at start) and
 * user logins (Basic → a JWT signed with HS256 by the server's own secret, as useradm does);
 * the admin API has a token of its own. Checked from the headers alone, before any body is read.
 */
import * as crypto from 'node:crypto';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Auth } from './http.js';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const JWT_TTL_S = 7 * 24 * 3600;

export function signJwt(secret: string, subject: string, nowS: number): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({ sub: subject, iss: 'fleetplay', iat: nowS, exp: nowS + JWT_TTL_S, 'mender.user': true }),
  );
  const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

export function verifyJwt(secret: string, token: string, nowS: number): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return false;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: number };
    return typeof claims.exp === 'number' && claims.exp > nowS;
  } catch {
    return false;
  }
}

export interface Credentials {
  /** SHA-256 of each accepted personal access token: every comparison is of 32 bytes. */
  tokens: readonly Buffer[];
  /** SHA-256 of the admin API's token; undefined when the admin API is off. */
  admin?: Buffer;
  users: ReadonlyMap<string, string>;
  jwtSecret: () => string;
}

/** SHA-256 of a token; the one-shot `hash` (Node ≥ 20.12) takes half the time of a Hash object, once a request. */
const digest: (s: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (s) => crypto.hash('sha256', s, 'buffer')
    : (s) => crypto.createHash('sha256').update(s).digest();

export function credentials(o: {
  tokens?: string[];
  adminToken?: string;
  users?: { email: string; password: string }[];
  jwtSecret: () => string;
}): Credentials {
  return {
    tokens: (o.tokens ?? []).map(digest),
    admin: o.adminToken === undefined ? undefined : digest(o.adminToken),
    users: new Map((o.users ?? []).map((u) => [u.email, u.password])),
    jwtSecret: o.jwtSecret,
  };
}

/**
 * Whether `candidate` is one of `digests`. Hashing both sides gives every comparison the same
 * length, and every configured token is compared (no early exit), so the time taken tells
 * neither how much of a token was right nor which token matched.
 */
export function matchesOne(digests: readonly Buffer[], candidate: string): boolean {
  const d = digest(candidate);
  let found = false;
  for (const x of digests) found = timingSafeEqual(x, d) || found;
  return found;
}

const bearer = (header: string | undefined) => /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];

/** Whether an Authorization header carries a token this server accepts. */
export function bearerOk(creds: Credentials, header: string | undefined): boolean {
  const token = bearer(header);
  if (token === undefined) return false;
  return matchesOne(creds.tokens, token) || verifyJwt(creds.jwtSecret(), token, Math.floor(Date.now() / 1000));
}

/** Whether an Authorization header carries the admin API's token (never a management token). */
export function adminOk(creds: Credentials, header: string | undefined): boolean {
  const token = bearer(header);
  return token !== undefined && creds.admin !== undefined && matchesOne([creds.admin], token);
}

/** Why the headers do not authorize a request to a route of this kind; undefined when they do. */
export function refusal(creds: Credentials, auth: Auth, header: string | undefined): string | undefined {
  switch (auth) {
    case 'management':
      return bearerOk(creds, header) ? undefined : 'unauthorized: missing or invalid token';
    case 'admin':
      return adminOk(creds, header) ? undefined : 'unauthorized: the admin API takes only the admin token';
    case 'login':
      return basicUser(creds, header) ? undefined : 'unauthorized: wrong email or password';
    case 'none':
      return undefined;
  }
}

/** The user of a valid Basic header, or undefined. */
export function basicUser(creds: Credentials, header: string | undefined): string | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const email = text.slice(0, colon);
  const password = creds.users.get(email);
  if (password === undefined) return undefined;
  const a = Buffer.from(password);
  const b = Buffer.from(text.slice(colon + 1));
  return a.length === b.length && timingSafeEqual(a, b) ? email : undefined;
}
