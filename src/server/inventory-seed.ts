/**
 * Seeding simulated devices from an Ansible inventory: one device per host (its id is
 * `mender_device_id`, else the host name), with what each device would report:
 *   device_type            (required)     the device type
 *   sim_artifact_name      (optional)     installed image; default: the desired image
 *                                         (os_image_override, else os_image: a name or a mapping device_type → name)
 *   sim_subscribed_branch  (optional)     the `subscribed_branch` attribute the device reports
 *   device_name            (optional)     shown as the device's `name` tag; default: the host name
 *                                         when the host is named readably
 * Every desired image becomes an artifact compatible with the device types that want it, so the
 * fleet's own images can be deployed.
 */
import { fleetError, err, ok, type FleetError, type Result } from '../errors/index.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import type { ArtifactSpec, DeviceSpec, ParsedFleetSpec } from './spec.js';

const CONTROLLER = new Set(['localhost', '127.0.0.1']);

export function seedFromInventory(spec: ParsedFleetSpec, sources: string[]): Result<ParsedFleetSpec, FleetError[]> {
  const loaded = loadInventory(sources);
  if (!loaded.ok) return loaded;
  const inv = loaded.value;
  const errors: FleetError[] = [];
  const devices: DeviceSpec[] = [];
  const wanted = new Map<string, Set<string>>(); // artifact name → device types
  for (const host of inv.hosts) {
    if (CONTROLLER.has(host)) continue;
    const d = deviceFor(inv, host);
    if (!d.ok) {
      errors.push(d.error);
      continue;
    }
    devices.push(d.value.device);
    if (d.value.desired) {
      const types = wanted.get(d.value.desired) ?? new Set();
      types.add(d.value.device.device_type);
      wanted.set(d.value.desired, types);
    }
  }
  if (errors.length) return err(errors);
  const declared = new Set(spec.artifacts.map((a) => a.name));
  const artifacts: ArtifactSpec[] = [...spec.artifacts];
  for (const [name, types] of wanted)
    if (!declared.has(name)) artifacts.push({ name, device_types_compatible: [...types].sort(), size: 0 });
  return ok({ ...spec, artifacts, devices: [...spec.devices, ...devices] });
}

function deviceFor(inv: Inventory, host: string): Result<{ device: DeviceSpec; desired?: string }> {
  const vars = inv.hostVars(host);
  const where = inv.hostWhere(host);
  const deviceType = vars.device_type;
  if (typeof deviceType !== 'string' || deviceType === '') {
    return err(
      fleetError('server.inventory-device-type', `host ${host} has no device_type`, {
        ...where,
        hint: 'set device_type (e.g. raspberrypi4) in a group the host belongs to, or in its host_vars',
      }),
    );
  }
  const desired = desiredImage(vars, deviceType);
  const installed = vars.sim_artifact_name ?? desired;
  if (typeof installed !== 'string' || installed === '' || installed.includes('{{')) {
    return err(
      fleetError('server.inventory-artifact', `cannot tell which image host ${host} runs`, {
        ...where,
        hint: 'set sim_artifact_name: NAME in its host_vars (os_image is missing, templated or has no entry for its device_type)',
      }),
    );
  }
  const reported = vars.sim_subscribed_branch;
  if (reported !== undefined && typeof reported !== 'string') {
    return err(
      fleetError('server.inventory-branch', `sim_subscribed_branch of host ${host} must be a branch name`, {
        ...where,
        hint: 'write e.g. sim_subscribed_branch: canary',
      }),
    );
  }
  const device: DeviceSpec = {
    id: inv.deviceId(host),
    name: typeof vars.device_name === 'string' ? vars.device_name : inv.deviceId(host) !== host ? host : undefined,
    device_type: deviceType,
    artifact_name: installed,
    attributes: reported ? { subscribed_branch: reported } : {},
    status: 'accepted',
    online: true,
    fail: false,
  };
  return ok({ device, desired: typeof desired === 'string' && !desired.includes('{{') ? desired : undefined });
}

function desiredImage(vars: Record<string, unknown>, deviceType: string): unknown {
  if (vars.os_image_override !== undefined) return vars.os_image_override;
  const image = vars.os_image;
  if (image && typeof image === 'object' && !Array.isArray(image))
    return (image as Record<string, unknown>)[deviceType];
  return image;
}
