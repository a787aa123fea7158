/**
 * Where the Mender server is (server-url.ts: --server, -e mender_server, MENDER_SERVER_URL, the
 * `mender_server` variable) and how to authenticate (MENDER_ACCESS_TOKEN, MENDER_USER/MENDER_PASSWORD).
 * Secrets are registered for masking the moment they are read.
 */
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { registerSecret } from '../log/index.js';
import { chooseServerUrl, type ServerUrl, type ServerUrlInput } from './server-url.js';

export type OtaAuth = { kind: 'token'; token: string } | { kind: 'login'; user: string; password: string };

export interface OtaEndpoint {
  url: string;
  auth: OtaAuth;
  /** Where the URL came from (`--server`, `MENDER_SERVER_URL`, a vars file): named in errors. */
  from?: string;
}

export interface ResolveInput {
  /** `--server`. */
  server?: string;
  /** `-e mender_server=` of the run. */
  extraServer?: unknown;
  token?: string;
  /** The host's variables (`mender_server`). */
  vars?: Record<string, unknown>;
  /** Where `mender_server` of `vars` is set. */
  varsFrom?: string;
  /** `mender_server` read only when needed (see server-url.ts). */
  lookupServer?: ServerUrlInput['lookupVariable'];
  env?: NodeJS.ProcessEnv;
}

/** The environment variables resolveEndpoint reads: hosts that agree on these share a client. */
export const ENDPOINT_ENV = ['MENDER_SERVER_URL', 'MENDER_ACCESS_TOKEN', 'MENDER_USER', 'MENDER_PASSWORD'] as const;

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** The server URL and where it came from: the precedence lives in server-url.ts. */
export function resolveServerUrl(input: ResolveInput): Result<ServerUrl> {
  return chooseServerUrl({
    flag: input.server,
    extraVar: input.extraServer,
    env: input.env,
    variable: input.vars?.mender_server,
    variableFrom: input.varsFrom,
    lookupVariable: input.lookupServer,
  });
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

/** The proxy variables undici reads: one that is no URL would fail every request with a bare "Invalid URL". */
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

function checkProxyEnv(env: NodeJS.ProcessEnv): Result<void> {
  for (const name of PROXY_ENV) {
    const v = env[name];
    if (!v) continue;
    let proto: string | undefined;
    try {
      proto = new URL(v).protocol;
    } catch {
      proto = undefined;
    }
    if (proto !== 'http:' && proto !== 'https:')
      return err(
        fleetError('ota.bad-proxy', `${name}=${v} is not a proxy URL`, {
          hint: `write ${name}=http://proxy.example.org:3128 (the scheme included), or unset it`,
        }),
      );
  }
  return ok(undefined);
}

export function resolveEndpoint(input: ResolveInput): Result<OtaEndpoint> {
  const proxy = checkProxyEnv(input.env ?? process.env);
  if (!proxy.ok) return proxy;
  const url = resolveServerUrl(input);
  if (!url.ok) return url;
  const auth = resolveAuth(input);
  if (!auth.ok) return auth;
  return ok({ url: url.value.url, from: url.value.from, auth: auth.value });
}
