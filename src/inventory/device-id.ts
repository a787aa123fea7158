/**
 * A host is a Mender device: either named by its device id, or named readably with the id in
 * `mender_device_id` (as Ansible names a host by an alias with the address in `ansible_host`).
 * Ids are checked so a typo can never address the wrong device: a UUID (what Mender issues) or a
 * 24-hex object id (older servers). The controller may be named localhost / 127.0.0.1.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const CONTROLLER = new Set(['localhost', '127.0.0.1']);

/** The host variable that holds the Mender id of a host named readably. */
export const DEVICE_ID_VAR = 'mender_device_id';

/** An id Mender issues. */
export function isMenderId(id: string): boolean {
  return UUID.test(id) || OBJECT_ID.test(id);
}

/** A host name that needs no `mender_device_id`: a device id, or the controller. */
export function isDeviceId(name: string): boolean {
  return isMenderId(name) || CONTROLLER.has(name);
}

export function isController(name: string): boolean {
  return CONTROLLER.has(name);
}

/** What to write instead of a host name that is neither an id nor has `mender_device_id`. */
export function deviceIdHint(name: string): string {
  const lower = name.toLowerCase();
  if (lower !== name && isDeviceId(lower)) return `write the id in lower case: ${lower}`;
  return (
    `add \`${DEVICE_ID_VAR}: <id>\` for it (under the device's line, or in host_vars/${name}.yml), ` +
    'with the device id from the Mender UI (a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70)'
  );
}

/** What to write instead of a `mender_device_id` value that is not an id. */
export function menderIdHint(value: unknown): string {
  if (typeof value === 'string' && value.includes('{{')) {
    return `write the id itself: ${DEVICE_ID_VAR} is read when the inventory loads, before any template is rendered`;
  }
  if (typeof value === 'string' && isMenderId(value.toLowerCase())) return `write the id in lower case: ${value.toLowerCase()}`;
  return 'copy the device id from the Mender UI: a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70 (quoted if YAML could read it as a number)';
}

/**
 * How outputs name a device: its host name, with the id beside it when the name is not the id
 * (`kiosk-next (854df144…)`). Tables shorten the id to its first 8 characters where the full id
 * is at hand elsewhere (--json, a tooltip); job summaries give it whole.
 */
export function deviceLabel(host: string, id: string, o: { short?: boolean } = {}): string {
  if (host === id) return host;
  return `${host} (${o.short ? shortId(id) : id})`;
}

export const shortId = (id: string): string => (id.length > 9 ? `${id.slice(0, 8)}…` : id);
