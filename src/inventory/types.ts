import type { FleetError, Result, Where } from '../errors/index.js';

/** One set of variables and where it came from (for `inventory show`). */
export interface VarLayer {
  source: string;
  vars: Record<string, unknown>;
}

export interface GroupInfo {
  name: string;
  parents: string[];
  children: string[];
  /** Direct members only, in the order the inventory lists them. */
  hosts: string[];
}

export interface Inventory {
  /** Host names (device ids, or readable names with `mender_device_id`), in ansible's order for `all`. */
  readonly hosts: readonly string[];
  /** Every group, including `all` and `ungrouped`. */
  readonly groups: ReadonlyMap<string, GroupInfo>;
  /** Inventory-level layers, lowest precedence first. Shared objects: never mutate. */
  hostLayers(host: string): VarLayer[];
  /** The Mender device id of a host: its `mender_device_id`, else its name. */
  deviceId(host: string): string;
  /** Flat merge of hostLayers, untemplated. */
  hostVars(host: string): Record<string, unknown>;
  /** The layer that gives the host its value of `name`: the value and the source (relative path). */
  varOrigin(host: string, name: string): { value: unknown; source: string } | undefined;
  /** Where the host's value of `name` is written (file relative to the cwd, line, column): for errors in that value. */
  varWhere(host: string, name: string): Where | undefined;
  /** The magic var `group_names`. */
  groupNames(host: string): string[];
  /** The magic var `groups`. */
  groupsVar(): Record<string, string[]>;
  /** Host patterns as in `hosts:` and `--limit`. */
  match(pattern: string): Result<string[]>;
  /** The parts of a host pattern that match nothing (ansible's "Could not match supplied host pattern"). */
  unmatched(pattern: string): string[];
  /** Where the host is first listed (file, line, column). */
  hostWhere(host: string): Where | undefined;
  readonly warnings: FleetError[];
}

export interface LoadOptions {
  /** Directory of the playbook: its group_vars/ and host_vars/ rank above the inventory's. */
  playbookDir?: string;
  /** File contents to use instead of the files on disk (absolute path → text): checks an edit before it is written. */
  contents?: ReadonlyMap<string, string>;
}
