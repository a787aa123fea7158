import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fleetError, type FleetError, type Result } from '../errors/index.js';
import { InventoryBuilder } from './build.js';
import { checkSubscriptions } from './checks.js';
import { checkDeviceIds } from './device-ids.js';
import { checkFleetVars } from './fleet-vars.js';
import { LoadedInventory, type VarsDirs } from './model.js';
import type { Inventory, LoadOptions } from './types.js';
import { readVarsDir, type VarsDir } from './vars-files.js';
import { parseYaml, readYamlFile } from './yaml-file.js';

/** Inventory files of one `-i` source, and the directory whose group_vars/host_vars belong to it. */
interface Source {
  files: string[];
  basedir: string;
}

const INVENTORY_EXT = /\.ya?ml$/;
/** Names ansible never reads as inventory inside a source directory. */
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

/**
 * Loads `-i` sources (files, or directories of YAML inventory files) with their
 * group_vars/ and host_vars/, and those next to the playbook, as ansible-core 2.14 does.
 */
export function loadInventory(sources: string[], opts: LoadOptions = {}): Result<Inventory, FleetError[]> {
  return loadFull(sources, opts);
}

/** loadInventory with the concrete type, for the editing commands. */
export function loadFull(sources: string[], opts: LoadOptions = {}): Result<LoadedInventory, FleetError[]> {
  const errors: FleetError[] = [];
  const warnings: FleetError[] = [];
  const resolved = sources.map((s) => resolveSource(s, errors, warnings));
  const builder = new InventoryBuilder();
  for (const src of resolved) {
    for (const file of src.files) {
      const text = opts.contents?.get(file);
      const parsed = text === undefined ? readYamlFile(file) : parseYaml(file, text);
      if (parsed.ok) builder.addFile(parsed.value);
      else errors.push(...parsed.error);
    }
  }
  builder.reconcile();
  errors.push(...builder.errors);
  const depth = LoadedInventory.depths(builder.groups);
  if (!depth.ok) errors.push(depth.error);
  const dirs = readDirs(resolved, opts.playbookDir, errors);
  if (errors.length || !depth.ok) return { ok: false, error: errors };
  const inv = new LoadedInventory(builder, depth.value, dirs);
  const ids = checkDeviceIds(inv);
  const checked = [...ids.errors, ...checkSubscriptions(inv), ...checkFleetVars(inv)];
  if (checked.length) return { ok: false, error: checked };
  inv.setDeviceIds(ids.aliases);
  inv.warnings.push(...warnings, ...strayVarsFiles(inv, dirs));
  return { ok: true, value: inv };
}

function resolveSource(source: string, errors: FleetError[], warnings: FleetError[]): Source {
  const path = resolve(source);
  if (!existsSync(path)) {
    errors.push(
      fleetError('inventory.missing', `inventory source ${source} does not exist`, {
        hint: 'pass -i with an inventory file (hosts.yml) or a directory that contains one',
      }),
    );
    return { files: [], basedir: path };
  }
  if (!statSync(path).isDirectory()) return { files: [path], basedir: dirname(path) };
  const files = inventoryFilesIn(path, warnings);
  if (files.length === 0) {
    errors.push(
      fleetError('inventory.no-files', 'no .yml or .yaml inventory file in this directory', {
        file: path,
        hint: 'add hosts.yml with `all:` / `children:` / `hosts:` to it',
      }),
    );
  }
  return { files, basedir: path };
}

/** Every YAML file in a source directory, sorted and recursive, as ansible parses directory sources. */
function inventoryFilesIn(dir: string, warnings: FleetError[]): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (IGNORED.test(entry)) continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...inventoryFilesIn(full, warnings));
    else if (INVENTORY_EXT.test(entry)) out.push(full);
    else {
      warnings.push(
        fleetError('inventory.skipped-file', `skipped ${full}: only YAML inventories (.yml, .yaml) are read`, {
          file: full,
          hint: 'rename it to .yml if it is a YAML inventory, or move it out of the inventory directory',
        }),
      );
    }
  }
  return out;
}

function readDirs(sources: Source[], playbookDir: string | undefined, errors: FleetError[]): VarsDirs {
  const cache = new Map<string, { groups: VarsDir; hosts: VarsDir }>();
  const at = (base: string) => {
    let d = cache.get(base);
    if (!d) {
      d = { groups: readVarsDir(join(base, 'group_vars'), errors), hosts: readVarsDir(join(base, 'host_vars'), errors) };
      cache.set(base, d);
    }
    return d;
  };
  return { inventory: sources.map((s) => at(s.basedir)), playbook: playbookDir ? at(resolve(playbookDir)) : undefined };
}

/**
 * host_vars/ files for devices and group_vars/ files for groups that are not in the inventory:
 * usually a typo in the id or the group name. Ansible ignores both without a word; we warn.
 */
function strayVarsFiles(inv: LoadedInventory, dirs: VarsDirs): FleetError[] {
  const out: FleetError[] = [];
  const seen = new Set<string>();
  const known = { hosts: (n: string) => inv.hasHost(n), groups: (n: string) => inv.groups.has(n) || n === 'ungrouped' };
  for (const d of [...dirs.inventory, ...(dirs.playbook ? [dirs.playbook] : [])]) {
    for (const kind of ['hosts', 'groups'] as const) {
      for (const name of d[kind].names) {
        const key = `${d[kind].dir}/${name}`;
        if (known[kind](name) || seen.has(key)) continue;
        seen.add(key);
        out.push(strayFile(kind, name, d[kind].layers.get(name)?.[0]?.source ?? join(d[kind].dir, name)));
      }
    }
  }
  return out;
}

function strayFile(kind: 'hosts' | 'groups', name: string, file: string): FleetError {
  return kind === 'hosts'
    ? fleetError('inventory.stray-host-vars', `host_vars for "${name}", which is not in the inventory`, {
        file,
        hint: 'add the device to a group in the inventory, or fix the file name to match its host name',
      })
    : fleetError('inventory.stray-group-vars', `group_vars for "${name}", which is no group of the inventory`, {
        file,
        hint: 'add the group under `children:` in the inventory, or fix the file name to match a group name',
      });
}
