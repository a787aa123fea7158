/**
 * Which OTA server a command talks to: decided here, and only here, for `run`, `monitor`, the
 * mender_* modules and the monitor's desired-state dry run (docs/configuration.md, "OTA server URL").
 *
 *   1. `--server URL`            (the command line)
 *   2. `-e mender_server=URL`    (the command line: ansible's extra vars always win)
 *   3. `MENDER_SERVER_URL`       (the environment)
 *   4. `mender_server`           (the inventory / play variables, per host)
 *
 * The environment outranks the inventory because it is the per-run choice of whoever runs the
 * command (CI's environment, an operator's shell), while the inventory's value is the repository's
 * default: pointing one run at another server must not need a commit. A per-host `mender_server`
 * (groups on different servers) still applies when neither the command line nor the environment
 * names a server.
 */
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { registerSecret } from '../log/index.js';

export interface ServerUrlInput {
  /** `--server URL`. */
  flag?: string;
  /** `-e mender_server=URL` of this run. */
  extraVar?: unknown;
  env?: NodeJS.ProcessEnv;
  /** The host's `mender_server` variable. */
  variable?: unknown;
  /** Where that variable is set, e.g. `inventory/group_vars/all.yml`. */
  variableFrom?: string;
  /** Reads the variable only when nothing above it names a server (the monitor loads the inventory for it). */
  lookupVariable?: () => { value: unknown; from?: string } | undefined;
}

export interface ServerUrl {
  /** Normalised: no trailing slash. */
  url: string;
  /** Where the URL came from, for messages: `--server`, `MENDER_SERVER_URL`, `inventory/group_vars/all.yml mender_server`. */
  from: string;
}

/** Names every way to set the URL: printed with every error about it. */
export const SERVER_URL_HINT = 'check --server / MENDER_SERVER_URL / mender_server';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

const variableFrom = (where: string | undefined) => (where ? `${where} mender_server` : 'the mender_server variable');

/** The first of flag, -e, environment, variable that says something. */
function pick(i: ServerUrlInput): { raw: string; from: string } | undefined {
  const env = i.env ?? process.env;
  const candidates: (() => [unknown, string])[] = [
    () => [i.flag, '--server'],
    () => [i.extraVar, '-e mender_server'],
    () => [env.MENDER_SERVER_URL, 'MENDER_SERVER_URL'],
    () => [i.variable, variableFrom(i.variableFrom)],
    () => {
      const v = i.lookupVariable?.();
      return [v?.value, variableFrom(v?.from)];
    },
  ];
  for (const candidate of candidates) {
    const [value, from] = candidate();
    const raw = text(value);
    if (raw) return { raw, from };
  }
  return undefined;
}

export function chooseServerUrl(i: ServerUrlInput): Result<ServerUrl> {
  const chosen = pick(i);
  if (!chosen) {
    return err(
      fleetError('ota.no-server', 'no OTA server URL given', {
        hint: 'pass --server URL, set MENDER_SERVER_URL, or set the `mender_server` variable (e.g. in group_vars/all.yml)',
      }),
    );
  }
  const { raw, from } = chosen;
  const bad = (why: string) =>
    err(
      fleetError('ota.bad-server-url', `the OTA server URL "${raw}" (from ${from}) ${why}`, {
        hint: `write it as https://host[:port] — ${SERVER_URL_HINT}`,
      }),
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('must use http or https');
  // A password in the URL is masked wherever the URL is printed.
  if (url.password) registerSecret(decodeURIComponent(url.password));
  // The management API lives under /api/management; keep any path prefix but no trailing slash.
  return ok({ url: url.toString().replace(/\/+$/, ''), from });
}
