import { fleetError, type FleetError, type Where } from '../errors/index.js';
import { DEVICE_ID_VAR, deviceIdHint, isController, isDeviceId, isMenderId, menderIdHint } from './device-id.js';
import type { LoadedInventory } from './model.js';
import { locate } from './locate.js';

/** The device ids of hosts named readably (host → id), or what is wrong with them. */
export interface DeviceIds {
  aliases: Map<string, string>;
  errors: FleetError[];
}

/**
 * Every host resolves to one Mender device: its own `mender_device_id` (a literal id), else its
 * name when that is an id. Two hosts on one device would schedule its deployments twice, so that
 * is an error, and so is the variable on a group (it would give every member the same device).
 */
export function checkDeviceIds(inv: LoadedInventory): DeviceIds {
  const aliases = new Map<string, string>();
  const errors: FleetError[] = [];
  const owner = new Map<string, string>();
  for (const host of inv.definedHosts) {
    const id = deviceIdOf(inv, host, errors);
    if (id === undefined) continue;
    if (id !== host) aliases.set(host, id);
    if (isController(id)) continue;
    const first = owner.get(id);
    if (first === undefined) owner.set(id, host);
    else errors.push(duplicate(inv, first, host, id));
  }
  errors.push(...groupSetters(inv));
  return { aliases, errors };
}

/** The host's device id, or undefined (with an error) when it has none. */
function deviceIdOf(inv: LoadedInventory, host: string, errors: FleetError[]): string | undefined {
  const layer = inv
    .ownHostLayers(host)
    .filter((l) => DEVICE_ID_VAR in l.vars)
    .pop();
  if (!layer) {
    if (isDeviceId(host)) return host;
    errors.push(
      fleetError('inventory.bad-device-id', `"${host}" is not a device id, and has no \`${DEVICE_ID_VAR}\``, {
        ...inv.hostWhere(host),
        hint: deviceIdHint(host),
      }),
    );
    return undefined;
  }
  const value = layer.vars[DEVICE_ID_VAR];
  if (typeof value === 'string' && isMenderId(value)) return value;
  const what = typeof value === 'string' && value.includes('{{') ? 'a template' : 'not a device id';
  errors.push(
    fleetError('inventory.bad-mender-device-id', `${DEVICE_ID_VAR} of "${host}" is ${what}: ${JSON.stringify(value)}`, {
      ...locate(layer, inv.hostEntries(host), []),
      hint: menderIdHint(value),
    }),
  );
  return undefined;
}

function duplicate(inv: LoadedInventory, first: string, second: string, id: string): FleetError {
  const at = (h: string): Where => whereOfId(inv, h);
  const firstAt = at(first);
  const line = firstAt.line ? `${firstAt.file}:${firstAt.line}` : (firstAt.file ?? 'the inventory');
  return fleetError(
    'inventory.duplicate-device-id',
    `"${first}" (${line}) and "${second}" are the same device ${id}: its deployments would be scheduled twice`,
    { ...at(second), hint: `keep one host for the device: remove "${second}" or give it its own ${DEVICE_ID_VAR}` },
  );
}

/** Where the host's id is written: its mender_device_id, else its entry. */
function whereOfId(inv: LoadedInventory, host: string): Where {
  const layer = inv
    .ownHostLayers(host)
    .filter((l) => DEVICE_ID_VAR in l.vars)
    .pop();
  return layer ? locate(layer, inv.hostEntries(host), []) : (inv.hostWhere(host) ?? {});
}

function groupSetters(inv: LoadedInventory): FleetError[] {
  const out: FleetError[] = [];
  for (const group of inv.groups.keys()) {
    for (const layer of inv.ownGroupLayers(group).filter((l) => DEVICE_ID_VAR in l.vars)) {
      out.push(
        fleetError('inventory.group-device-id', `${DEVICE_ID_VAR} is set for group "${group}": it names one device`, {
          ...locate(layer, inv.groupEntries(group), ['vars']),
          hint: `set ${DEVICE_ID_VAR} on the device's own line or in host_vars/<device>.yml`,
        }),
      );
    }
  }
  return out;
}
