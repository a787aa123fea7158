/**
 * Every playbook keyword, declared once: its schema, the objects that accept it and how a task
 * gets its value from the blocks, role entries, imports and play around it — ansible-core's
 * FieldAttribute (`playbook/attribute.py`, `base.py`) as a table. model.ts builds the zod objects
 * of plays, blocks, tasks and role entries from it, keywords.ts the inheritance, docs/playbooks.md
 * the list of supported keywords.
 */
import { z } from 'zod';

/** The objects of a playbook that take keywords (`role`: an entry of `roles:` or a meta dependency). */
export type Obj = 'play' | 'block' | 'task' | 'role';

/**
 * How a task's value comes from what encloses it (ansible's `_get_parent_attribute`):
 * - `own`: only where it is written (NonInheritableFieldAttribute);
 * - `inherit`: the nearest value, the task's own first, then block, role entry, play;
 * - `extend`: a list of every level's values, the outer ones first (ansible's `extend`/`prepend`:
 *   `when` and `environment` are prepended; `tags`, extended without prepend, are a set, so one
 *   order serves);
 * - `merge`: mappings merged, the inner keys win (`vars`).
 */
export type Rule = 'own' | 'inherit' | 'extend' | 'merge';

/** A template is checked once templated; anything else is checked here, at load, with its line. */
const isTemplate = (v: unknown): v is string => typeof v === 'string' && /{{|{%/.test(v);
/** ansible's `boolean()` (module_utils/parsing/convert_bool.py), strings compared lower-cased. */
const BOOL_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't', 'n', 'no', 'off', '0', 'false', 'f']);
const NUMBER_TEXT = /^\s*\d+(\.\d+)?\s*$/;
const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

const Bool = z.custom<boolean | string>(
  (v) => typeof v === 'boolean' || isTemplate(v) || (typeof v === 'string' && BOOL_WORDS.has(v.trim().toLowerCase())),
  { error: (i) => `${shown(i.input)} is not a boolean: write true or false (yes/no also do)` },
);
const Cond = z.union([z.boolean(), z.string(), z.number(), z.array(z.union([z.boolean(), z.string(), z.number()]))]);
const Tags = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]);
const Vars = z.record(z.string(), z.unknown());
const StrList = z.union([z.string(), z.array(z.string())]);
const Num = z.custom<number | string>(
  (v) => typeof v === 'number' || isTemplate(v) || (typeof v === 'string' && NUMBER_TEXT.test(v)),
  { error: (i) => `${shown(i.input)} is not a number: write a number, e.g. 3` },
);
const TaskList = z.array(z.unknown()).nullish();
const batchSize = (v: unknown) =>
  typeof v === 'number' || isTemplate(v) || (typeof v === 'string' && /^\s*\d+(\.\d+)?%?\s*$/.test(v));
const Serial = z.custom<number | string | (number | string)[]>(
  (v) => batchSize(v) || (Array.isArray(v) && v.length > 0 && v.every(batchSize)),
  {
    error: (i) =>
      `${shown(i.input)} is no batch size: write a number (serial: 2), a percentage (serial: "30%") or a list of them`,
  },
);
const Percent = z.custom<number | string>((v) => batchSize(v), {
  error: (i) => `${shown(i.input)} is not a percentage: write a number from 0 to 100, e.g. 30`,
});
/** ansible 2.14 refuses such a name when the task runs ("Invalid variable name in 'register'"); here at load. */
const VarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: (i) =>
    `${shown(i.input)} is not a valid variable name: write letters, digits and _, starting with a letter or _`,
});
const HostPattern = z.union([z.string(), z.array(z.string())], {
  error: (i) =>
    i.input === undefined
      ? 'missing: every play names its hosts, e.g. hosts: all'
      : 'write a host pattern or a list of them',
});

export const LoopControl = z
  .object({
    loop_var: z.string().optional(),
    index_var: z.string().optional(),
    label: z.unknown().optional(),
    pause: Num.optional(),
    extended: Bool.optional(),
  })
  .strict();

/** One keyword: its value's schema (with its optionality), where it is accepted, its rule, a line for the docs. */
interface Keyword {
  schema: z.ZodType;
  on: readonly Obj[];
  rule: Rule;
  doc: string;
}

const k = <S extends z.ZodType, const O extends readonly Obj[], R extends Rule>(
  schema: S,
  on: O,
  rule: R,
  doc: string,
) => ({ schema, on, rule, doc });

// ansible's Base (play, block, task, role entry), Conditional and Delegatable (not the play).
const ALL = ['play', 'block', 'task', 'role'] as const;
const INNER = ['block', 'task', 'role'] as const;
const IGNORED = 'accepted and ignored: hosts are OTA API records, reached over HTTP from the controller';

export const KEYWORDS = {
  name: k(z.union([z.string(), z.number()]).optional(), ALL, 'own', 'shown in the banner; a role entry: the role'),
  when: k(
    Cond.optional(),
    INNER,
    'extend',
    'a string, bool or list (all must hold); blocks and roles add theirs first',
  ),
  tags: k(
    Tags.optional(),
    ALL,
    'extend',
    'selects tasks with --tags/--skip-tags (`always`, `never`, `tagged`, `untagged`)',
  ),
  vars: k(Vars.optional(), ALL, 'merge', 'variables of this object and everything inside it'),
  environment: k(
    z.union([Vars, z.string(), z.array(Vars)]).optional(),
    ALL,
    'extend',
    'environment of command/shell and of the OTA modules; outer first, inner names win',
  ),
  ignore_errors: k(Bool.optional(), ALL, 'inherit', 'a failure counts as ignored'),
  no_log: k(Bool.optional(), ALL, 'inherit', 'results are censored and their values masked'),
  check_mode: k(Bool.optional(), ALL, 'inherit', 'true: do not change anything; false: run even under --check'),
  diff: k(Bool.optional(), ALL, 'inherit', 'show what changes, as --diff'),
  run_once: k(Bool.optional(), ALL, 'inherit', 'run on the first host, the result applies to all'),
  delegate_to: k(
    z.string().optional(),
    INNER,
    'inherit',
    'only `localhost`/`127.0.0.1`: every task runs on the controller',
  ),
  delegate_facts: k(z.unknown().optional(), INNER, 'inherit', IGNORED),
  any_errors_fatal: k(Bool.optional(), ALL, 'inherit', 'a failed host ends the play for all'),
  notify: k(StrList.optional(), ['block', 'task'], 'inherit', 'handlers to run when the task changed'),
  become: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  become_user: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  become_method: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  connection: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  throttle: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  timeout: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  debugger: k(z.unknown().optional(), ALL, 'inherit', IGNORED),
  collections: k(
    z.unknown().optional(),
    ALL,
    'inherit',
    'accepted and ignored: module names resolve as FQCN or short names',
  ),
  module_defaults: k(z.unknown().optional(), ALL, 'extend', IGNORED),
  // The task's own.
  loop: k(z.unknown().optional(), ['task'], 'own', 'a list to run the task once per item'),
  with_items: k(z.unknown().optional(), ['task'], 'own', 'as loop, lists flattened one level'),
  with_list: k(z.unknown().optional(), ['task'], 'own', 'as loop'),
  loop_control: k(LoopControl.optional(), ['task'], 'own', '`loop_var`, `index_var`, `label`, `pause`, `extended`'),
  register: k(VarName.optional(), ['task'], 'own', 'keeps the result in a variable'),
  changed_when: k(Cond.optional(), ['task'], 'own', 'decides `changed`'),
  failed_when: k(Cond.optional(), ['task'], 'own', 'decides `failed`'),
  until: k(Cond.optional(), ['task'], 'own', 'repeats the task until it holds'),
  retries: k(Num.optional(), ['task'], 'own', 'attempts of until (default 3)'),
  delay: k(Num.optional(), ['task'], 'own', 'seconds between attempts (default 5)'),
  listen: k(StrList.optional(), ['task'], 'own', 'a handler also runs for these notify names'),
  args: k(z.union([Vars, z.string()]).optional(), ['task'], 'own', 'module arguments, under those written inline'),
  local_action: k(z.unknown().optional(), ['task'], 'own', IGNORED),
  apply: k(z.unknown().optional(), ['task'], 'own', IGNORED),
  // Blocks.
  block: k(z.array(z.unknown()), ['block'], 'own', 'the tasks of a block'),
  rescue: k(TaskList, ['block'], 'own', 'run when a task of the block failed'),
  always: k(TaskList, ['block'], 'own', 'run after the block and rescue, whatever happened'),
  // Role entries.
  role: k(z.string().optional(), ['role'], 'own', 'the role to run; other keys of the entry are its parameters'),
  // Plays.
  hosts: k(HostPattern, ['play'], 'own', 'the host pattern'),
  gather_facts: k(Bool.optional(), ['play'], 'own', 'accepted; no facts are gathered (hosts are API records)'),
  gather_subset: k(z.unknown().optional(), ['play'], 'own', IGNORED),
  vars_files: k(
    z.array(z.union([z.string(), z.array(z.string())])).optional(),
    ['play'],
    'own',
    'files of play variables (a list: the first that exists)',
  ),
  vars_prompt: k(z.unknown().optional(), ['play'], 'own', 'refused with a clear error: runs are not interactive'),
  pre_tasks: k(TaskList, ['play'], 'own', 'tasks before the roles'),
  roles: k(
    z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).nullish(),
    ['play'],
    'own',
    'roles, run before tasks',
  ),
  tasks: k(TaskList, ['play'], 'own', 'the tasks'),
  post_tasks: k(TaskList, ['play'], 'own', 'tasks after tasks'),
  handlers: k(TaskList, ['play'], 'own', 'tasks run when notified'),
  serial: k(Serial.optional(), ['play'], 'own', 'batches: a number, a percentage or a list'),
  max_fail_percentage: k(Percent.optional(), ['play'], 'own', 'ends the batch when more hosts failed'),
  strategy: k(z.enum(['linear']).optional(), ['play'], 'own', 'only `linear`'),
  order: k(z.enum(['inventory']).optional(), ['play'], 'own', 'only `inventory`'),
  force_handlers: k(Bool.optional(), ['play'], 'own', 'handlers run even for failed hosts'),
  remote_user: k(z.unknown().optional(), ['play'], 'own', IGNORED),
  port: k(z.unknown().optional(), ['play'], 'own', IGNORED),
} as const satisfies Record<string, Keyword>;

export type KeywordTable = typeof KEYWORDS;
export type KeywordName = keyof KeywordTable;

/** The keywords `o` accepts. */
export type KeywordsOf<O extends Obj> = {
  [K in KeywordName]: O extends KeywordTable[K]['on'][number] ? K : never;
}[KeywordName];

/** Keywords whose value reaches the tasks inside (every rule but `own`). */
export type InheritedKeyword = { [K in KeywordName]: KeywordTable[K]['rule'] extends 'own' ? never : K }[KeywordName];

/** The value handed down: a list for `extend`, a mapping for `merge`, else the keyword's own value. */
export type Inherited<K extends InheritedKeyword> = KeywordTable[K]['rule'] extends 'extend'
  ? unknown[]
  : KeywordTable[K]['rule'] extends 'merge'
    ? Record<string, unknown>
    : z.output<KeywordTable[K]['schema']>;

export const keywordNames = Object.keys(KEYWORDS) as KeywordName[];

export const accepts = (o: Obj, name: string): boolean =>
  name in KEYWORDS && (KEYWORDS[name as KeywordName].on as readonly Obj[]).includes(o);

/** The zod shape of object `o`: each keyword it accepts with its schema. */
export function shapeOf<O extends Obj>(o: O): { [K in KeywordsOf<O>]: KeywordTable[K]['schema'] } {
  const shape: Record<string, z.ZodType> = {};
  for (const name of keywordNames) if (accepts(o, name)) shape[name] = KEYWORDS[name].schema;
  return shape as { [K in KeywordsOf<O>]: KeywordTable[K]['schema'] };
}

export const inheritedKeywords = keywordNames.filter((name): name is InheritedKeyword => KEYWORDS[name].rule !== 'own');
