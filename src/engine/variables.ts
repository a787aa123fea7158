/**
 * The variable manager (ansible's vars/manager.py): each host's state, the layers a task's
 * variables are read from, the magic variables and the hostvars mapping.
 */
import { lazyVars, type Vars, type VarWhere } from '../template/index.js';
import type { RoleCtx, TaskNode } from './model.js';
import { emptyStats } from './output.js';
import type { EngineOptions, HostState, PlayState } from './state.js';
import { OMIT } from './task.js';

export const EMPTY: Vars = Object.freeze({});
const ANSIBLE_VERSION = { full: '2.14.18', major: 2, minor: 14, revision: 18, string: '2.14.18' };

const roleMagics = new WeakMap<RoleCtx, Vars>();
function roleMagic(role: RoleCtx): Vars {
  let m = roleMagics.get(role);
  if (!m)
    roleMagics.set(
      role,
      (m = {
        role_path: role.path,
        role_name: role.name,
        ansible_role_name: role.name,
        ansible_search_path: role.searchPath,
      }),
    );
  return m;
}

type VarsOptions = Pick<
  EngineOptions,
  'inventory' | 'templar' | 'extraVars' | 'playbook' | 'checkMode' | 'diff' | 'tags' | 'mode'
>;

export class VariableManager {
  readonly states = new Map<string, HostState>();
  readonly groups: Record<string, string[]>;

  constructor(private readonly o: VarsOptions) {
    this.groups = o.inventory.groupsVar();
  }

  state(host: string): HostState {
    let s = this.states.get(host);
    if (!s) {
      s = {
        name: host,
        facts: {},
        failed: false,
        ended: false,
        stats: emptyStats(),
        processed: false,
        groupNames: this.o.inventory.groupNames(host),
        layers: this.o.inventory.hostLayers(host).map((l) => l.vars),
        include: EMPTY,
      };
      this.states.set(host, s);
    }
    return s;
  }

  /** Layers lowest first — the order of ansible 2.14's VariableManager.get_vars. */
  varsFor(h: HostState, t: TaskNode, ps: PlayState, top?: Vars): Vars {
    const role = t.inherit.role;
    // Absent layers are left out: every variable lookup searches the layers from the top.
    const layers: Vars[] = [];
    const add = (l: Vars | undefined) => {
      if (l && l !== EMPTY) layers.push(l);
    };
    add(ps.roleDefaults);
    add(role?.defaults);
    for (const l of h.layers) add(l);
    add(ps.play.kw.vars);
    add(ps.play.varsFiles);
    add(ps.roleVars);
    add(role?.vars);
    // The `merge` rule of `vars` (keyword-table.ts) as two layers: nothing copied per host × task.
    add(t.inherit.vars);
    add(t.kw.vars);
    add(h.facts);
    add(role?.params);
    add(h.include);
    add(this.o.extraVars);
    add(this.magic(h, ps));
    add(role ? roleMagic(role) : undefined);
    add(top);
    return lazyVars(layers, this.o.templar, { file: t.file, line: t.line, task: t.name, host: h.name }, this.whereOf);
  }

  /** An inventory layer's variable in its file (one function for every view: none made per host × task). */
  private readonly whereOf: VarWhere = (layer, key, host) =>
    host !== undefined && this.state(host).layers.includes(layer) ? this.o.inventory.varWhere(host, key) : undefined;

  /** Magic variables, built once per host and batch (not per task: 100k hosts × tasks adds up). */
  private magic(h: HostState, ps: PlayState): Vars {
    if (h.magicOf === ps.batchId && h.magic) return h.magic;
    const names = ps.names;
    h.magicOf = ps.batchId;
    h.magic = {
      inventory_hostname: h.name,
      inventory_hostname_short: h.name.split('.')[0],
      group_names: h.groupNames,
      groups: ps.groups,
      hostvars: ps.hostvars,
      playbook_dir: this.o.playbook.dir,
      ansible_check_mode: this.o.checkMode,
      ansible_diff_mode: this.o.diff,
      ansible_version: ANSIBLE_VERSION,
      ansible_play_name: ps.play.name,
      ansible_play_hosts: names,
      ansible_play_batch: names,
      play_hosts: names,
      ansible_run_tags: this.o.tags.tags,
      ansible_skip_tags: this.o.tags.skip,
      omit: OMIT,
      fleetplay_mode: this.o.mode,
    };
    return h.magic;
  }

  /** hostvars[h]: that host's variables as a play-level task would see them. */
  hostvarsProxy(ps: PlayState): Vars {
    const known = new Set(this.o.inventory.hosts);
    const fake: TaskNode = {
      kind: 'task',
      file: ps.play.file,
      line: ps.play.line,
      name: 'hostvars',
      action: 'debug',
      args: {},
      kw: {},
      inherit: {},
    };
    // A class instance, not a plain mapping: templating must not walk every host's variables.
    return new Proxy(new HostVars() as Vars, {
      get: (_t, k) => (typeof k === 'string' && known.has(k) ? this.varsFor(this.state(k), fake, ps) : undefined),
      has: (_t, k) => typeof k === 'string' && known.has(k),
      ownKeys: () => [...this.o.inventory.hosts],
      getOwnPropertyDescriptor: (_t, k) => ({ configurable: true, enumerable: true, value: ps.hostvars[k as string] }),
    });
  }
}

class HostVars {}
