/**
 * The playbook model: zod schemas for plays, blocks and task keywords (types are inferred from
 * them), plus the loaded tree the strategy walks. Positions come from `yaml.ts`.
 */
import { z } from 'zod';

const Bool = z.union([z.boolean(), z.string()]);
const Cond = z.union([z.boolean(), z.string(), z.number(), z.array(z.union([z.boolean(), z.string(), z.number()]))]);
const Tags = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]);
const Vars = z.record(z.string(), z.unknown());
const StrList = z.union([z.string(), z.array(z.string())]);

/** Keywords shared by plays, blocks, roles and tasks (ansible's Base/Conditional/Taggable). */
export const CommonKeywords = {
  name: z.union([z.string(), z.number()]).optional(),
  when: Cond.optional(),
  tags: Tags.optional(),
  vars: Vars.optional(),
  environment: z.union([Vars, z.string(), z.array(Vars)]).optional(),
  ignore_errors: Bool.optional(),
  no_log: Bool.optional(),
  check_mode: Bool.optional(),
  diff: Bool.optional(),
  run_once: Bool.optional(),
  delegate_to: z.string().optional(),
  any_errors_fatal: Bool.optional(),
  // Accepted and ignored: they choose how to reach a host, and hosts here are API records.
  become: z.unknown().optional(),
  become_user: z.unknown().optional(),
  become_method: z.unknown().optional(),
  connection: z.unknown().optional(),
  throttle: z.unknown().optional(),
  timeout: z.unknown().optional(),
  debugger: z.unknown().optional(),
  collections: z.unknown().optional(),
  module_defaults: z.unknown().optional(),
};

export const LoopControl = z
  .object({
    loop_var: z.string().optional(),
    index_var: z.string().optional(),
    label: z.unknown().optional(),
    pause: z.union([z.number(), z.string()]).optional(),
    extended: Bool.optional(),
  })
  .strict();

export const TaskKeywords = z
  .object({
    ...CommonKeywords,
    loop: z.unknown().optional(),
    with_items: z.unknown().optional(),
    with_list: z.unknown().optional(),
    loop_control: LoopControl.optional(),
    register: z.string().optional(),
    changed_when: Cond.optional(),
    failed_when: Cond.optional(),
    until: Cond.optional(),
    retries: z.union([z.number(), z.string()]).optional(),
    delay: z.union([z.number(), z.string()]).optional(),
    notify: StrList.optional(),
    listen: StrList.optional(),
    args: z.union([Vars, z.string()]).optional(),
    local_action: z.unknown().optional(),
    delegate_facts: z.unknown().optional(),
    apply: z.unknown().optional(),
  })
  .strict();
export type TaskKeywords = z.infer<typeof TaskKeywords>;

export const BlockKeywords = z
  .object({
    ...CommonKeywords,
    block: z.array(z.unknown()),
    rescue: z.array(z.unknown()).nullish(),
    always: z.array(z.unknown()).nullish(),
    notify: StrList.optional(),
  })
  .strict();

export const RoleEntry = z
  .object({
    role: z.string().optional(),
    name: z.string().optional(),
    when: Cond.optional(),
    tags: Tags.optional(),
    vars: Vars.optional(),
    environment: z.union([Vars, z.string()]).optional(),
    ignore_errors: Bool.optional(),
    no_log: Bool.optional(),
    check_mode: Bool.optional(),
    diff: Bool.optional(),
    become: z.unknown().optional(),
    delegate_to: z.string().optional(),
    run_once: Bool.optional(),
  })
  .catchall(z.unknown());
export type RoleEntry = z.infer<typeof RoleEntry>;

const Serial = z.union([z.number(), z.string(), z.array(z.union([z.number(), z.string()]))]);

export const PlayKeywords = z
  .object({
    ...CommonKeywords,
    hosts: z.union([z.string(), z.array(z.string())]),
    gather_facts: Bool.optional(),
    vars_files: z.array(z.union([z.string(), z.array(z.string())])).optional(),
    vars_prompt: z.unknown().optional(),
    pre_tasks: z.array(z.unknown()).nullish(),
    roles: z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).nullish(),
    tasks: z.array(z.unknown()).nullish(),
    post_tasks: z.array(z.unknown()).nullish(),
    handlers: z.array(z.unknown()).nullish(),
    serial: Serial.optional(),
    max_fail_percentage: z.union([z.number(), z.string()]).optional(),
    strategy: z.enum(['linear']).optional(),
    order: z.enum(['inventory']).optional(),
    force_handlers: Bool.optional(),
    remote_user: z.unknown().optional(),
    port: z.unknown().optional(),
    gather_subset: z.unknown().optional(),
  })
  .strict();
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

/** Keyword values a block/role hands down to the tasks inside it. */
export interface Inherit {
  when?: unknown;
  tags?: unknown;
  vars?: Record<string, unknown>;
  environment?: unknown;
  ignore_errors?: unknown;
  no_log?: unknown;
  check_mode?: unknown;
  diff?: unknown;
  run_once?: unknown;
  delegate_to?: string;
  any_errors_fatal?: unknown;
  role?: RoleCtx;
  notify?: unknown;
}

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
