import { relative } from 'node:path';
import { fleetError, type FleetError, type Result, type Where } from '../errors/index.js';
import type { EntryRef, GroupData, HostData, InventoryBuilder } from './build.js';
import { locate } from './locate.js';
import { matchPattern, unmatchedPatterns } from './patterns.js';
import type { GroupInfo, Inventory, VarLayer } from './types.js';
import type { VarsDir } from './vars-files.js';
import { whereIn } from './yaml-file.js';

/** group_vars/ and host_vars/ of the inventory sources (in source order) and of the playbook. */
export interface VarsDirs {
  inventory: { groups: VarsDir; hosts: VarsDir }[];
  playbook?: { groups: VarsDir; hosts: VarsDir };
}

/**
 * The loaded inventory. Layers are shared between hosts (group layers are cached per
 * set of groups), so 100k hosts in 200 groups cost a few hundred arrays, not 100k copies.
 */
export class LoadedInventory implements Inventory {
  readonly hosts: readonly string[];
  readonly definedHosts: readonly string[];
  readonly groups: ReadonlyMap<string, GroupInfo>;
  readonly warnings: FleetError[] = [];
  private readonly data: ReadonlyMap<string, GroupData>;
  private readonly hostData: ReadonlyMap<string, HostData>;
  private readonly depth: Map<string, number>;
  /** Keyed by the shared sortedGroups array of a group set. */
  private readonly groupLayerCache = new Map<string[], VarLayer[]>();
  private readonly hostGroupCache = new Map<string, string[]>();
  private readonly sortedCache = new Map<string[], string[]>();
  private readonly groupHostCache = new Map<string, string[]>();
  /** Hosts named readably → their mender_device_id (set by the loader once checked). */
  private aliases: ReadonlyMap<string, string> = new Map();
  private byDeviceId?: Map<string, string>;

  constructor(
    b: InventoryBuilder,
    depth: Map<string, number>,
    private readonly dirs: VarsDirs,
  ) {
    this.data = b.groups;
    this.hostData = b.hosts;
    this.depth = depth;
    this.groups = new Map([...b.groups].map(([n, g]) => [n, { name: n, parents: g.parents, children: g.children, hosts: g.hosts }]));
    this.hosts = this.groupHosts('all');
    this.definedHosts = [...b.hosts.keys()];
  }

  /** Ansible's Group.get_hosts(): own hosts, then descendants breadth first, without repeats. */
  groupHosts(name: string): string[] {
    const cached = this.groupHostCache.get(name);
    if (cached) return cached;
    const out: string[] = [];
    const seen = new Set<string>();
    for (const g of this.descendants(name)) {
      for (const h of this.data.get(g)!.hosts) {
        if (!seen.has(h)) {
          seen.add(h);
          out.push(h);
        }
      }
    }
    this.groupHostCache.set(name, out);
    return out;
  }

  private descendants(name: string): string[] {
    const ordered = [name];
    const seen = new Set(ordered);
    for (let i = 0; i < ordered.length; i++) {
      for (const c of this.data.get(ordered[i])!.children) {
        if (!seen.has(c)) {
          seen.add(c);
          ordered.push(c);
        }
      }
    }
    return ordered;
  }

  /** Every group the host belongs to (direct and inherited), `all` included; shared per set of direct groups. */
  hostGroups(host: string): string[] {
    const direct = this.hostData.get(host)?.groups ?? [];
    const key = direct.join('\0');
    const cached = this.hostGroupCache.get(key);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...direct];
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...this.data.get(g)!.parents);
    }
    const out = [...seen];
    this.hostGroupCache.set(key, out);
    return out;
  }

  /** Ansible's sort_groups: by depth, then ansible_group_priority, then name (`all` left out). */
  sortedGroups(host: string): string[] {
    const groups = this.hostGroups(host);
    const cached = this.sortedCache.get(groups);
    if (cached) return cached;
    const key = (g: string): [number, number, string] => [this.depth.get(g) ?? 0, this.data.get(g)!.priority, g];
    const sorted = groups.filter((g) => g !== 'all').sort((a, b) => compareKeys(key(a), key(b)));
    this.sortedCache.set(groups, sorted);
    return sorted;
  }

  groupNames(host: string): string[] {
    return this.hostGroups(host)
      .filter((g) => g !== 'all')
      .sort(compareStrings);
  }

  groupsVar(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const name of this.data.keys()) out[name] = this.groupHosts(name);
    return out;
  }

  hostLayers(host: string): VarLayer[] {
    const h = this.hostData.get(host);
    if (!h) return [];
    const sorted = this.sortedGroups(host);
    return [...this.groupLayers(sorted), ...h.layers, ...this.fileLayers('hosts', [host])];
  }

  hostVars(host: string): Record<string, unknown> {
    return Object.assign({}, ...this.hostLayers(host).map((l) => l.vars)) as Record<string, unknown>;
  }

  /** The inventory layer whose value of `name` the host gets: its value and source (path relative to the cwd). */
  varOrigin(host: string, name: string): { value: unknown; source: string } | undefined {
    const layers = this.hostLayers(host);
    for (let i = layers.length - 1; i >= 0; i--)
      if (name in layers[i].vars) return { value: layers[i].vars[name], source: relSource(layers[i].source) };
    return undefined;
  }

  varWhere(host: string, name: string): Where | undefined {
    const layer = this.hostLayers(host).findLast((l) => name in l.vars);
    if (!layer) return undefined;
    // An inventory file's entry says whose it is; a vars file is the layer's whole source.
    const group = / \(group (.*)\)$/.exec(layer.source)?.[1];
    const refs = group !== undefined ? this.groupEntries(group) : / \(host\)$/.test(layer.source) ? this.hostEntries(host) : [];
    const where = locate(layer, refs, group !== undefined ? ['vars'] : [], name);
    return { ...where, file: where.file && relToCwd(where.file) };
  }

  /** Layers from groups, in ansible 2.14's VARIABLE_PRECEDENCE order; cached per group list. */
  private groupLayers(sorted: string[]): VarLayer[] {
    const cached = this.groupLayerCache.get(sorted);
    if (cached) return cached;
    const layers = [
      ...this.data.get('all')!.layers, // all_inventory
      ...sorted.flatMap((g) => this.data.get(g)!.layers), // groups_inventory
      ...this.fileLayers('groups', ['all']), // all_plugins_inventory, all_plugins_play
      ...this.fileLayers('groups', sorted), // groups_plugins_inventory, groups_plugins_play
    ];
    this.groupLayerCache.set(sorted, layers);
    return layers;
  }

  /** Vars files for the entities: per inventory source, each entity in order; then the playbook's. */
  private fileLayers(kind: 'groups' | 'hosts', names: string[]): VarLayer[] {
    const out: VarLayer[] = [];
    for (const dirs of [...this.dirs.inventory, ...(this.dirs.playbook ? [this.dirs.playbook] : [])]) {
      for (const n of names) out.push(...(dirs[kind].layers.get(n) ?? []));
    }
    return out;
  }

  /** Group-level layers only (inventory file, then group_vars), for the subscription check. */
  ownGroupLayers(group: string): VarLayer[] {
    return [...this.data.get(group)!.layers, ...this.fileLayers('groups', [group])];
  }

  /** Layers set by the host itself (inventory entry, host_vars files). */
  ownHostLayers(host: string): VarLayer[] {
    return [...(this.hostData.get(host)?.layers ?? []), ...this.fileLayers('hosts', [host])];
  }

  isAncestor(ancestor: string, group: string): boolean {
    return ancestor !== group && this.descendants(ancestor).includes(group);
  }

  hostWhere(host: string): Where | undefined {
    const ref = this.hostData.get(host)?.refs[0];
    return ref ? whereIn(ref.file, ref.path) : undefined;
  }

  match(pattern: string): Result<string[]> {
    return matchPattern(this, pattern);
  }

  unmatched(pattern: string): string[] {
    return unmatchedPatterns(this, pattern);
  }

  /** Where a device is listed: file and YAML path of each entry (for editing). */
  hostEntries(host: string): EntryRef[] {
    return this.hostData.get(host)?.refs ?? [];
  }

  /** Where a group is defined. */
  groupEntries(group: string): EntryRef[] {
    return this.data.get(group)?.refs ?? [];
  }

  /** The Mender device id of a host: its mender_device_id, else its name. */
  deviceId(host: string): string {
    return this.aliases.get(host) ?? host;
  }

  /** The host that is the device `id` (named by the id, or by an alias with that mender_device_id). */
  hostOfDeviceId(id: string): string | undefined {
    if (!this.byDeviceId) {
      this.byDeviceId = new Map([...this.aliases].map(([h, i]) => [i, h]));
    }
    return this.byDeviceId.get(id) ?? (this.hostData.has(id) && !this.aliases.has(id) ? id : undefined);
  }

  /** Called by the loader with checked ids (see device-ids.ts). */
  setDeviceIds(aliases: ReadonlyMap<string, string>): void {
    this.aliases = aliases;
    this.byDeviceId = undefined;
  }

  hasHost(name: string): boolean {
    return this.hostData.has(name);
  }

  /** Every `all` → ... → group chain is acyclic; depth is the longest path from `all`. */
  static depths(groups: ReadonlyMap<string, GroupData>): Result<Map<string, number>> {
    const depth = new Map<string, number>();
    const visiting = new Set<string>();
    const visit = (name: string): number | string => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      if (visiting.has(name)) return name;
      visiting.add(name);
      let d = 0;
      for (const p of groups.get(name)!.parents) {
        const pd = visit(p);
        if (typeof pd === 'string') return pd;
        d = Math.max(d, pd + 1);
      }
      visiting.delete(name);
      depth.set(name, d);
      return d;
    };
    for (const name of groups.keys()) {
      const r = visit(name);
      if (typeof r === 'string') {
        const ref = groups.get(r)!.refs[0];
        return {
          ok: false,
          error: fleetError('inventory.group-cycle', `group "${r}" is its own ancestor (a loop of children:)`, {
            ...(ref ? whereIn(ref.file, ref.path) : {}),
            hint: `remove "${r}" from the children: of one of its descendants`,
          }),
        };
      }
    }
    return { ok: true, value: depth };
  }
}

/** A path relative to the working directory when it is below it (shorter in messages), else as given. */
export function relToCwd(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

/** A layer's source (`path` or `path (group g)`) with the path relative to the working directory. */
function relSource(source: string): string {
  const m = /^(.*?)( \(.*\))?$/.exec(source)!;
  return relToCwd(m[1]) + (m[2] ?? '');
}

/** Python's default string order (code points); localeCompare would differ. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: [number, number, string], b: [number, number, string]): number {
  return a[0] - b[0] || a[1] - b[1] || compareStrings(a[2], b[2]);
}
