/**
 * Where the Mender server is and how to authenticate: from explicit options, then the play's
 * `mender_server` variable, then the environment (MENDER_SERVER_URL, MENDER_ACCESS_TOKEN,
 * MENDER_USER/MENDER_PASSWORD). Secrets are registered for masking the moment they are read.
 */
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { registerSecret } from '../log/index.js';

export type OtaAuth = { kind: 'token'; token: string } | { kind: 'login'; user: string; password: string };

export interface OtaEndpoint {
  url: string;
  auth: OtaAuth;
}

export interface ResolveInput {
  server?: string;
  token?: string;
  vars?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

export function resolveServerUrl(input: ResolveInput): Result<string> {
  const env = input.env ?? process.env;
  const raw = nonEmpty(input.server) ?? nonEmpty(input.vars?.mender_server) ?? nonEmpty(env.MENDER_SERVER_URL);
  if (!raw) {
    return err(
      fleetError('ota.no-server', 'no Mender server URL given', {
        hint: 'set the `mender_server` variable (e.g. in group_vars/all.yml) or the MENDER_SERVER_URL environment variable',
      }),
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err(
      fleetError('ota.bad-server-url', `the Mender server URL "${raw}" is not a URL`, {
        hint: 'write it as https://host[:port]',
      }),
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return err(
      fleetError('ota.bad-server-url', `the Mender server URL "${raw}" must use http or https`, {
        hint: 'write it as https://host[:port]',
      }),
    );
  }
  // The management API lives under /api/management; keep any path prefix but no trailing slash.
  return ok(url.toString().replace(/\/+$/, ''));
}

export function resolveAuth(input: ResolveInput): Result<OtaAuth> {
  const env = input.env ?? process.env;
  const token = nonEmpty(input.token) ?? nonEmpty(env.MENDER_ACCESS_TOKEN);
  if (token) {
    registerSecret(token);
    return ok({ kind: 'token', token });
  }
  const user = nonEmpty(env.MENDER_USER);
  const password = env.MENDER_PASSWORD;
  if (user && password) {
    registerSecret(password);
    return ok({ kind: 'login', user, password });
  }
  return err(
    fleetError('ota.no-credentials', 'no credentials for the Mender server', {
      hint: 'set MENDER_ACCESS_TOKEN to a personal access token, or MENDER_USER and MENDER_PASSWORD',
    }),
  );
}

export function resolveEndpoint(input: ResolveInput): Result<OtaEndpoint> {
  const url = resolveServerUrl(input);
  if (!url.ok) return url;
  const auth = resolveAuth(input);
  if (!auth.ok) return auth;
  return ok({ url: url.value, auth: auth.value });
}
