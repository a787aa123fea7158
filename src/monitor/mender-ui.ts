/**
 * Links from the HTML report into the Mender UI. The UI is served by the same host as the
 * management API, under /ui/, on hosted Mender (hosted.mender.io, eu.hosted.mender.io) and on a
 * self-hosted server alike; the embedded server and other local ones have none. So the rule:
 *   1. `--mender-ui URL` (or the inventory variable `mender_ui_url`) says where the UI is; `none`
 *      turns the links off;
 *   2. else the server URL is taken for a UI host when it is https and not a loopback host.
 * Routes are the UI's own: /ui/deployments/finished?open=true&id=ID and /ui/devices?id=ID.
 */
import { err, fleetError, ok, type Result } from '../errors/index.js';

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/i;

/** The UI's base URL (no trailing slash), or undefined when there is no UI to link to. */
export function menderUiBase(server: string | undefined, override?: string): Result<string | undefined> {
  if (override !== undefined) {
    if (override === 'none' || override === '') return ok(undefined);
    const u = parse(override);
    if (!u || !/^https?:$/.test(u.protocol))
      return err(
        fleetError('monitor.mender-ui', `--mender-ui ${override} is not an http(s) URL`, {
          hint: 'write the address you open the Mender UI at, e.g. https://eu.hosted.mender.io, or `none`',
        }),
      );
    return ok(trimSlash(u));
  }
  const u = server ? parse(server) : undefined;
  if (!u || u.protocol !== 'https:' || LOOPBACK.test(u.hostname)) return ok(undefined);
  return ok(trimSlash(u));
}

export const deploymentPage = (ui: string, id: string): string =>
  `${ui}/ui/deployments/finished?open=true&id=${encodeURIComponent(id)}`;

export const devicePage = (ui: string, id: string): string => `${ui}/ui/devices?id=${encodeURIComponent(id)}`;

function parse(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Origin and path: a UI behind a path prefix keeps it. */
const trimSlash = (u: URL): string => `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
