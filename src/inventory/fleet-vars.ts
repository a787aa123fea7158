/**
 * The fleet's own variables, read by the roles under playbooks/: a value of the wrong type does
 * not fail there, it quietly selects nothing (a list as subscribed_branch matches no branch, a
 * number as os_image has no entry per device type). Checked at load, where the file and line are known.
 */
import { z } from 'zod';
import { fleetError, type FleetError } from '../errors/index.js';
import { locate } from './locate.js';
import type { LoadedInventory } from './model.js';
import type { VarLayer } from './types.js';
import type { EntryRef } from './build.js';
import { parseWindows } from '../rollout/window.js';

const Name = z.string().min(1);

const FLEET_VARS: Record<string, { schema: z.ZodType; write: string }> = {
  subscribed_branch: { schema: Name, write: 'one branch name, e.g. `subscribed_branch: canary`' },
  os_image: {
    schema: z.union([Name, z.record(z.string(), Name)]),
    write:
      'an artifact name (`os_image: fleet-os-1.1.0-raspberrypi3`) or a mapping device type → artifact name (`os_image: {raspberrypi3: fleet-os-1.1.0-raspberrypi3}`)',
  },
  os_image_override: { schema: Name, write: 'an artifact name, e.g. `os_image_override: fleet-os-1.1.0-raspberrypi3`' },
  // Read by the shipped roles as a module argument: a wrong type would fail at the task, far from the file.
  device_config_ignore: {
    schema: z.array(z.string()),
    write: 'a list of configuration keys, e.g. `device_config_ignore: [kiosk_url]`',
  },
  gharunner_labels: {
    schema: z.union([z.string(), z.array(z.string())]),
    write: 'a list of labels (`gharunner_labels: [rpi4, arm]`) or comma-separated text',
  },
};

const kindOf = (v: unknown) =>
  v === null ? 'empty' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;

export function checkFleetVars(inv: LoadedInventory): FleetError[] {
  const out: FleetError[] = [];
  // The entries are looked up only for a layer with an error (100k hosts' own layers have none).
  const check = (l: VarLayer, refs: () => EntryRef[], under: string[]) => {
    if (NAMES.some((n) => n in l.vars) || 'window' in l.vars)
      out.push(...layerErrors(l, refs(), under), ...windowErrors(l, refs(), under));
  };
  for (const group of inv.groups.keys())
    for (const l of inv.ownGroupLayers(group)) check(l, () => inv.groupEntries(group), ['vars']);
  for (const host of inv.definedHosts) for (const l of inv.ownHostLayers(host)) check(l, () => inv.hostEntries(host), []);
  return [...new Map(out.map((e) => [`${e.file}:${e.line}:${e.message}`, e])).values()];
}

const NAMES = Object.keys(FLEET_VARS);

/** A layer's fleet variables of the wrong type; most layers (100k hosts' own) hold none: no copy made for them. */
function layerErrors(layer: VarLayer, refs: EntryRef[], under: string[]): FleetError[] {
  const out: FleetError[] = [];
  for (const name of NAMES) {
    if (!(name in layer.vars) || FLEET_VARS[name].schema.safeParse(layer.vars[name]).success) continue;
    out.push(
      fleetError('inventory.fleet-var', `${name} is ${kindOf(layer.vars[name])} (${JSON.stringify(layer.vars[name])})`, {
        ...locate(layer, refs, under, name),
        hint: `write ${FLEET_VARS[name].write}`,
      }),
    );
  }
  return out;
}

/**
 * `window` (src/rollout/window.ts): a text or list the modules would refuse per host at run time;
 * at load, once, with its file and line. A template is left to the run (it has no value yet).
 */
function windowErrors(layer: VarLayer, refs: EntryRef[], under: string[]): FleetError[] {
  const v = layer.vars.window;
  if (!('window' in layer.vars) || JSON.stringify(v).includes('{{')) return [];
  const r = parseWindows(v);
  return r.ok ? [] : [{ ...r.error, ...locate(layer, refs, under, 'window') }];
}
