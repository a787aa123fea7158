/**
 * Management API authentication: personal access tokens (Bearer, configured at start) and
 * user logins (Basic → a JWT signed with HS256 by the server's own secret, as useradm does).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

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
  tokens: ReadonlySet<string>;
  users: ReadonlyMap<string, string>;
  jwtSecret: () => string;
}

/** Whether an Authorization header carries a token this server accepts. */
export function bearerOk(creds: Credentials, header: string | undefined): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  return creds.tokens.has(m[1]) || verifyJwt(creds.jwtSecret(), m[1], Math.floor(Date.now() / 1000));
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
