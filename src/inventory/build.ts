import type { z } from 'zod';
import { fleetError, type FleetError } from '../errors/index.js';
import { GROUP_KEYS, InventoryFileSchema, type GroupNode, type InventoryFile, type Vars } from './schema.js';
import type { VarLayer } from './types.js';
import { whereIn, type YamlFile } from './yaml-file.js';

/**
 * Where an entry is, resolved to line/column only when someone asks (errors, `move`).
 * The parent path is shared by all entries of a map: no array per host.
 */
export class EntryRef {
  constructor(
    readonly file: YamlFile,
    readonly parent: readonly string[],
    readonly key: string,
  ) {}

  get path(): string[] {
    return [...this.parent, this.key];
  }
}

export interface GroupData {
  name: string;
  parents: string[];
  children: string[];
  hosts: string[];
  /** The same names as `hosts`, for fast membership checks. */
  members: Set<string>;
  /** Vars written in inventory files, one layer per definition. */
  layers: VarLayer[];
  priority: number;
  refs: EntryRef[];
}

export interface HostData {
  name: string;
  /** Groups that list the host directly. */
  groups: string[];
  layers: VarLayer[];
  refs: EntryRef[];
}

/** Accumulates groups and hosts from several inventory files the way ansible's InventoryData does. */
export class InventoryBuilder {
  readonly groups = new Map<string, GroupData>();
  readonly hosts = new Map<string, HostData>();
  readonly errors: FleetError[] = [];

  constructor() {
    this.group('all', undefined);
    this.group('ungrouped', undefined);
    this.addChild('all', 'ungrouped');
  }

  /** Validates one parsed inventory file and adds its groups and hosts. */
  addFile(file: YamlFile): void {
    const data: unknown = file.data;
    if (data === null || data === undefined) {
      this.errors.push(
        fleetError('inventory.empty', 'the inventory file is empty', {
          file: file.path,
          line: 1,
          column: 1,
          hint: 'start with `all:` and list groups under `children:` and devices under `hosts:`',
        }),
      );
      return;
    }
    const parsed = InventoryFileSchema.safeParse(data);
    if (!parsed.success) {
      this.errors.push(...parsed.error.issues.map((i) => schemaError(file, i)));
      return;
    }
    for (const [name, node] of Object.entries(parsed.data as InventoryFile)) this.parseGroup(file, name, node, [name]);
  }

  private parseGroup(file: YamlFile, name: string, node: GroupNode | null, path: string[]): void {
    const group = this.group(name, new EntryRef(file, path.slice(0, -1), name));
    if (!node) return;
    for (const key of Object.keys(node)) {
      if (key === 'vars' && node.vars) this.groupVars(file, group, node.vars); else if (key === 'children' && node.children) {
        for (const [child, childNode] of Object.entries(node.children)) {
          this.parseGroup(file, child, childNode, [...path, 'children', child]);
          this.addChild(name, child);
        }
      } else if (key === 'hosts' && node.hosts) {
        const parent = [...path, 'hosts'];
        for (const [host, vars] of Object.entries(node.hosts)) this.addHost(new EntryRef(file, parent, host), vars, name);
      }
    }
  }

  /** ansible_group_priority orders groups and is not a variable. */
  private groupVars(file: YamlFile, group: GroupData, vars: Vars): void {
    const { ansible_group_priority: prio, ...rest } = vars;
    if (prio !== undefined && Number.isInteger(Number(prio))) group.priority = Number(prio);
    const own = prio === undefined ? vars : rest;
    if (Object.keys(own).length) group.layers.push({ source: `${file.path} (group ${group.name})`, vars: own });
  }

  private group(name: string, ref: EntryRef | undefined): GroupData {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, parents: [], children: [], hosts: [], members: new Set(), layers: [], priority: 1, refs: [] };
      this.groups.set(name, g);
    }
    if (ref) g.refs.push(ref);
    return g;
  }

  private addChild(parent: string, child: string): void {
    const p = this.groups.get(parent)!;
    const c = this.groups.get(child)!;
    // `all` lists orphans once each: includes() here is over a parent's few children.
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  private addHost(ref: EntryRef, vars: Vars | null, group: string): void {
    const name = ref.key;
    let h = this.hosts.get(name);
    if (!h) {
      // Names that are not device ids are checked once host_vars are read (mender_device_id).
      h = { name, groups: [], layers: [], refs: [] };
      this.hosts.set(name, h);
    }
    h.refs.push(ref);
    if (!h.groups.includes(group)) h.groups.push(group);
    const g = this.groups.get(group)!;
    if (!g.members.has(name)) {
      g.members.add(name);
      g.hosts.push(name);
    }
    if (vars && Object.keys(vars).length) h.layers.push({ source: `${ref.file.path} (host)`, vars });
  }

  /** Ansible's reconcile step: orphan groups join `all`, hosts without a group join `ungrouped`. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const h of this.hosts.values()) {
      const others = h.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (others.length === 0 && !h.groups.includes('ungrouped')) {
        h.groups.push('ungrouped');
        ungrouped.hosts.push(h.name);
        ungrouped.members.add(h.name);
      } else if (others.length > 0 && h.groups.includes('ungrouped')) {
        h.groups = h.groups.filter((g) => g !== 'ungrouped');
        ungrouped.members.delete(h.name);
      }
    }
    ungrouped.hosts = ungrouped.hosts.filter((x) => ungrouped.members.has(x));
    this.checkNameClashes();
  }

  private checkNameClashes(): void {
    for (const h of this.hosts.values()) {
      if (!this.groups.has(h.name)) continue;
      const ref = h.refs[0];
      this.errors.push(
        fleetError('inventory.host-group-clash', `"${h.name}" is used both as a device and as a group`, {
          ...whereIn(ref.file, ref.path),
          hint: 'rename the group: group names should say what the devices have in common (e.g. `kiosks`)',
        }),
      );
    }
  }
}

function schemaError(file: YamlFile, issue: z.core.$ZodIssue): FleetError {
  const path = issue.path.map(String);
  const where = whereIn(file, path);
  const group = groupOf(path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join('`, `');
    return fleetError('inventory.unknown-key', `unknown key \`${keys}\` in group "${group}"`, {
      ...whereIn(file, [...path, issue.keys[0]]),
      hint: `a group has only ${GROUP_KEYS.map((k) => `\`${k}:\``).join(', ')}; put variables under \`vars:\` and devices under \`hosts:\``,
    });
  }
  const received = /received (\w+)/.exec(issue.message)?.[1];
  const what = received ? `must be a mapping, not ${received === 'array' ? 'a list' : `a ${received}`}` : issue.message;
  return fleetError('inventory.invalid', `${describe(path)} ${what}`, { ...where, hint: hintFor(path) });
}

/** What the schema path points at, in the inventory's own words. */
function describe(path: string[]): string {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (path.length === 0) return 'the inventory';
  if (parent === 'hosts') return `the vars of device ${last}`;
  if (parent === 'children' || path.length === 1) return `group "${last}"`;
  return `\`${last}\` of group "${groupOf(path)}"`;
}

function hintFor(path: string[]): string {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (last === 'hosts') return 'list devices as a mapping: `hosts:` then one `<device id>:` per line (with its vars below it, or nothing)';
  if (parent === 'hosts') return 'write the device\'s vars as `name: value` lines indented below its id, or leave it empty';
  if (last === 'children') return 'list child groups as a mapping: `children:` then one `<group>:` per line';
  if (last === 'vars') return 'write variables as a mapping: `vars:` then `name: value` lines';
  return 'a group is a mapping with `hosts:`, `children:` and `vars:`; start the file with `all:`';
}

/** The innermost group named in a schema path like [all, children, web, hosts, h1]. */
function groupOf(path: string[]): string {
  let group = path[0] ?? '';
  for (let i = 1; i < path.length - 1; i++) if (path[i] === 'children') group = path[i + 1]!;
  return group;
}
