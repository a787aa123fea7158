/**
 * The demo's fleet: the seven devices of the project's inventory (their inventory names, ids
 * from `mender_device_id`, marks from the comments on their lines), the releases the story deploys, and the embedded
 * server seeded with all of it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { loadInventory } from '../inventory/index.js';
import { startServer, type FleetSpec, type RunningServer } from '../server/index.js';

export interface Device {
  /** The Mender device id. */
  id: string;
  /** ① … ⑦ when the inventory comment starts with one, else the device name. */
  mark: string;
  /** The inventory's name for it (`device_name` when the host is named by its id). */
  name: string;
  /** What the comment says after the mark, e.g. "Raspberry Pi 4: kiosk terminal". */
  about: string;
  deviceType: string;
  /** The branch the inventory subscribes it to (the device may report another). */
  branch?: string;
  /** OS image the repository wants today (the seeded, installed one). */
  image: string;
  /** A prototype follows the branch it reports itself (`prototype: true` in its vars). */
  prototype: boolean;
  /** Its inventory groups (stage, hardware), as `first:` of a rollout policy names them. */
  groups: string[];
}

export interface Release {
  version: string;
  /** Device type → artifact name. */
  images: Record<string, string>;
}

/** The devices of an inventory directory, in the order of their marks. */
export function loadDevices(inventoryDir: string): Result<Device[]> {
  const inv = loadInventory([inventoryDir]);
  if (!inv.ok) return err(inv.error[0]);
  const comments = hostComments(inventoryDir);
  const devices: Device[] = [];
  for (const host of inv.value.hosts) {
    const vars = inv.value.hostVars(host);
    const d = deviceFrom(host, inv.value.deviceId(host), vars, comments.get(host));
    if (!d.ok) return d;
    devices.push({ ...d.value, groups: inv.value.groupNames(host) });
  }
  return ok(devices.sort((a, b) => a.mark.localeCompare(b.mark)));
}

function deviceFrom(
  host: string,
  id: string,
  vars: Record<string, unknown>,
  comment: string | undefined,
): Result<Omit<Device, 'groups'>> {
  const deviceType = str(vars.device_type);
  const image = deviceType ? imageFor(vars, deviceType) : undefined;
  if (!deviceType || !image) {
    return err(
      fleetError('demo.inventory', `device ${host} has no device_type or no os_image for it`, {
        hint: 'the demo needs the sample fleet of inventory/ (git checkout inventory/)',
      }),
    );
  }
  const name = host === id ? (str(vars.device_name) ?? host) : host;
  const m = /^(\S)\s+(.*)$/u.exec(comment ?? '');
  const mark = m && /[\u2460-\u2473]/u.test(m[1]) ? m[1] : name;
  return ok({
    id,
    mark,
    name,
    about: m ? m[2] : (comment ?? ''),
    deviceType,
    branch: str(vars.subscribed_branch),
    image,
    prototype: vars.prototype === true,
  });
}

function imageFor(vars: Record<string, unknown>, deviceType: string): string | undefined {
  const override = str(vars.os_image_override);
  if (override) return override;
  const images = vars.os_image;
  return images && typeof images === 'object' ? str((images as Record<string, unknown>)[deviceType]) : str(images);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The comment on each device's first line in the inventory files (`NAME:  # ① Raspberry Pi 2: …`).
 * The first one wins: later lines (hardware groups) repeat the name with just the mark.
 */
export function hostComments(inventoryDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(inventoryDir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    for (const line of readFileSync(join(inventoryDir, f), 'utf8').split('\n')) {
      const m = /^\s+([\w.-]+):\s*(?:\{\}|null|~)?\s*#\s*(.+?)\s*$/.exec(line);
      if (m && !out.has(m[1])) out.set(m[1], m[2]);
    }
  }
  return out;
}

/** The same image names with another version: fleet-os-1.0.0-raspberrypi4 → fleet-os-1.1.0-raspberrypi4. */
export function releaseOf(devices: Device[], version: string, only?: string[]): Release {
  const images: Record<string, string> = {};
  for (const d of devices) {
    if (only && !only.includes(d.deviceType)) continue;
    images[d.deviceType] = d.image.replace(/\d+\.\d+\.\d+/, version);
  }
  return { version, images };
}

/** Artifacts the server holds besides the installed ones; a failing one fails on every device it reaches. */
export function fleetSpec(releases: Release[], failing: string[]): FleetSpec {
  const artifacts = releases.flatMap((r) =>
    Object.entries(r.images).map(([type, name]) => ({ name, device_types_compatible: [type] })),
  );
  return { artifacts, failures: { artifacts: failing } };
}

export interface DemoServer extends RunningServer {
  token: string;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The embedded server on 127.0.0.1 (a free port), in memory, on a manual clock. */
export async function startDemoServer(inventoryDir: string, spec: FleetSpec): Promise<DemoServer> {
  const token = `demo-${randomBytes(16).toString('hex')}`;
  // The demo moves the clock and reads the request log: its own admin token, never the fleet's.
  const adminToken = `demo-admin-${randomBytes(16).toString('hex')}`;
  const s = await startServer({
    memory: true,
    clock: 'manual',
    tokens: [token],
    adminToken,
    spec,
    inventory: [inventoryDir],
  });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${s.url}/api/admin/v1/${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`the embedded server refused ${method} ${path} (HTTP ${res.status})`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  return { ...s, token, admin };
}
