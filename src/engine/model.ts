/**
 * The playbook model: zod schemas of plays, blocks, tasks and role entries, built from the
 * keyword table (keyword-table.ts; types inferred), plus the loaded tree the strategy walks.
 * Positions come from `yaml.ts`.
 */
import { z } from 'zod';
import { shapeOf, type Inherited, type InheritedKeyword } from './keyword-table.js';

// The objects' schemas come from the keyword table: a keyword is declared there once.
export const TaskKeywords = z.object(shapeOf('task')).strict();
export type TaskKeywords = z.infer<typeof TaskKeywords>;

export const BlockKeywords = z.object(shapeOf('block')).strict();

/** A roles: entry: keys that are not role keywords are the role's parameters. */
export const RoleEntry = z.object(shapeOf('role')).catchall(z.unknown());
export type RoleEntry = z.infer<typeof RoleEntry>;

export const PlayKeywords = z.object(shapeOf('play')).strict();
export type PlayKeywords = z.infer<typeof PlayKeywords>;

/** A role as the strategy sees it: its variables and where it lives. */
export interface RoleCtx {
  name: string;
  path: string;
  /** ansible_search_path of its tasks: lookup('template'/'file') look in this role first, then the playbook's folder. */
  searchPath: string[];
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  params: Record<string, unknown>;
}

/**
 * What blocks, role entries, imports and the play hand down to the tasks inside them, already
 * combined by each keyword's rule (keywords.ts `inheritFrom`), plus the role the tasks belong to.
 */
export type Inherit = { [K in InheritedKeyword]?: Inherited<K> } & { role?: RoleCtx };

export interface TaskNode {
  kind: 'task';
  file: string;
  line: number;
  name: string;
  action: string;
  /** The action as the task wrote it (ansible.builtin.debug stays so): --list-tasks shows it for unnamed tasks. */
  written?: string;
  /** Module arguments as written (free-form strings already split into key=value). */
  args: Record<string, unknown>;
  kw: TaskKeywords;
  inherit: Inherit;
}

export interface BlockNode {
  kind: 'block';
  file: string;
  line: number;
  block: Node[];
  rescue: Node[];
  always: Node[];
  inherit: Inherit;
}

export type Node = TaskNode | BlockNode;

export interface Play {
  file: string;
  line: number;
  name: string;
  kw: PlayKeywords;
  /** vars_files already read, in order. */
  varsFiles: Record<string, unknown>;
  pre: Node[];
  main: Node[];
  post: Node[];
  handlers: TaskNode[];
  /** Roles of `roles:` (their defaults/vars are visible to the whole play, as in ansible 2.14). */
  roles: RoleCtx[];
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}
