/**
 * Hostnames are Mender device ids, so a typo can never address the wrong device:
 * a UUID (what Mender issues) or a 24-hex object id (older servers). The controller
 * may be named localhost / 127.0.0.1.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const CONTROLLER = new Set(['localhost', '127.0.0.1']);

export function isDeviceId(name: string): boolean {
  return UUID.test(name) || OBJECT_ID.test(name) || CONTROLLER.has(name);
}

/** What to write instead of `name`. */
export function deviceIdHint(name: string): string {
  const lower = name.toLowerCase();
  if (lower !== name && isDeviceId(lower)) return `write the id in lower case: ${lower}`;
  return (
    'use the device id from the Mender UI (a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70) ' +
    'and put the readable name in a comment or a `device_name` host var'
  );
}
