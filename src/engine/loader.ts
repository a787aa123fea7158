/**
 * Loads a playbook into the model: plays, roles (defaults, vars, tasks, handlers, meta
 * dependencies), static imports. Dynamic includes stay tasks and are loaded when they run
 * (`loadTaskFile`, `loadRole`). Every error names the file and line and says what to write.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { fleetError, type FleetError, type Result, ok, err } from '../errors/index.js';
import { getModule } from '../modules/registry.js';
import { shortName } from '../plugins/fqcn.js';
import { parseKv } from './kv.js';
import {
  BlockKeywords,
  PlayKeywords,
  RoleEntry,
  TaskKeywords,
  type BlockNode,
  type Inherit,
  type Node,
  type Play,
  type Playbook,
  type RoleCtx,
  type TaskNode,
} from './model.js';
import { keyLine, posOf, YamlReader } from './yaml.js';

/** Actions the engine itself handles (no module behind them). */
export const ENGINE_ACTIONS = new Set([
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
  'meta',
  'include',
]);

const short = (a: string) => shortName(a, 'module');

export class LoadErrors {
  readonly list: FleetError[] = [];
  add(e: FleetError): void {
    this.list.push(e);
  }
}

function zodError(e: z.ZodError, file: string, obj: object, what: string): FleetError {
  const issue = e.issues[0];
  const key = String(issue.path[0] ?? '');
  const line = (key && keyLine(obj, key)) || posOf(obj)?.line;
  if (issue.code === 'unrecognized_keys') {
    const k = (issue as { keys: string[] }).keys[0];
    return fleetError('playbook.unknown-keyword', `unknown ${what} keyword "${k}"`, {
      file,
      line: keyLine(obj, k) ?? line,
      hint: `remove "${k}" or check its spelling; see docs/playbooks.md for the supported keywords`,
    });
  }
  return fleetError('playbook.bad-value', `${what} keyword "${key}": ${issue.message}`, {
    file,
    line,
    hint: `write ${key} as ansible-core 2.14 documents it`,
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

interface Ctx {
  /** Directory relative task files are found from. */
  dir: string;
  playbookDir: string;
  errors: LoadErrors;
  /** The files this load has read. */
  yaml: YamlReader;
}

/** Splits a task mapping into keywords and its one action. */
function parseTask(raw: Record<string, unknown>, file: string, inherit: Inherit, ctx: Ctx): Node[] {
  const line = posOf(raw)?.line ?? 0;
  if ('block' in raw) return parseBlock(raw, file, inherit, ctx);
  const kwKeys = new Set(Object.keys(TaskKeywords.shape));
  const actions = Object.keys(raw).filter((k) => !kwKeys.has(k) && !k.startsWith('with_'));
  if (actions.length !== 1) {
    const unknown = actions.filter((a) => !getModule(a) && !ENGINE_ACTIONS.has(short(a)));
    const what =
      actions.length === 0
        ? 'no module'
        : unknown.length
          ? `unknown module or keyword "${unknown[0]}"`
          : `more than one module (${actions.join(', ')})`;
    ctx.errors.add(
      fleetError('playbook.task-action', `task has ${what}`, {
        file,
        line: unknown.length ? (keyLine(raw, unknown[0]) ?? line) : line,
        hint: `a task names exactly one module (debug, set_fact, uri, command, …; FQCN like ansible.builtin.uri also works) plus keywords`,
      }),
    );
    return [];
  }
  const action = short(actions[0]);
  if (!ENGINE_ACTIONS.has(action) && !getModule(actions[0])) {
    ctx.errors.add(
      fleetError('playbook.unknown-module', `unknown module "${actions[0]}"`, {
        file,
        line: keyLine(raw, actions[0]) ?? line,
        hint: 'fleetplay runs tasks on the controller: use debug, assert, fail, set_fact, uri, command, shell, pause, meta or a mender_* module',
      }),
    );
    return [];
  }
  const kwRaw = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== actions[0]));
  for (const k of Object.keys(kwRaw)) {
    if (k.startsWith('with_') && k !== 'with_items' && k !== 'with_list') {
      ctx.errors.add(
        fleetError('playbook.unsupported-loop', `"${k}" is not supported`, {
          file,
          line: keyLine(raw, k) ?? line,
          hint: 'use loop: with a filter (e.g. loop: "{{ d | dict2items }}")',
        }),
      );
      return [];
    }
  }
  const kw = TaskKeywords.safeParse(kwRaw);
  if (!kw.success) {
    ctx.errors.add(zodError(kw.error, file, raw, 'task'));
    return [];
  }
  const args = actionArgs(raw[actions[0]], action, kw.data.args, file, line, ctx);
  if (!args) return [];
  if (kw.data.delegate_to !== undefined && !/^(localhost|127\.0\.0\.1|\{\{.*\}\})$/.test(kw.data.delegate_to.trim())) {
    ctx.errors.add(
      fleetError(
        'playbook.delegate',
        `delegate_to: ${kw.data.delegate_to} — tasks can only be delegated to the controller`,
        {
          file,
          line: keyLine(raw, 'delegate_to') ?? line,
          hint: 'write delegate_to: localhost (every task already runs on the controller and talks to the OTA API)',
        },
      ),
    );
    return [];
  }
  const node: TaskNode = {
    kind: 'task',
    file,
    line,
    name: kw.data.name !== undefined ? String(kw.data.name) : '',
    action,
    written: actions[0],
    args,
    kw: kw.data,
    inherit,
  };
  if (action === 'import_tasks' || action === 'import_role')
    return [staticImport(node, ctx)].filter((n): n is Node => !!n);
  return [node];
}

/** Module arguments: a mapping, or a `key=value` string (free-form for command-like modules). */
function actionArgs(
  value: unknown,
  action: string,
  extra: unknown,
  file: string,
  line: number,
  ctx: Ctx,
): Record<string, unknown> | undefined {
  let args: Record<string, unknown> = {};
  if (isObj(value)) args = { ...value };
  else if (typeof value === 'string') {
    const mod = getModule(action);
    const free =
      mod?.freeForm ??
      (ENGINE_ACTIONS.has(action)
        ? action === 'meta'
          ? '_raw_params'
          : action.endsWith('_role')
            ? 'name'
            : 'file'
        : undefined);
    const keys = mod && free ? Object.keys((mod.args as unknown as { shape?: object }).shape ?? {}) : undefined;
    const p = parseKv(value, free ? (keys ?? []) : undefined);
    if (p.free && !free) {
      ctx.errors.add(
        fleetError('playbook.extra-params', `task "${action}" has extra params: "${p.free}"`, {
          file,
          line,
          hint: `quote values with spaces (msg="two words") or use YAML mapping form (${action}:\\n  msg: two words)`,
        }),
      );
      return undefined;
    }
    args = p.args;
    if (p.free && free) args[free] = p.free;
  } else if (value !== null && value !== undefined) {
    ctx.errors.add(
      fleetError('playbook.bad-args', `arguments of "${action}" must be a mapping or a key=value string`, {
        file,
        line,
      }),
    );
    return undefined;
  }
  if (isObj(extra)) args = { ...extra, ...args };
  return args;
}

function inheritFrom(parent: Inherit, kw: Record<string, unknown>): Inherit {
  const out: Inherit = { ...parent };
  const when = kw.when;
  if (when !== undefined) out.when = [...asList(parent.when), ...asList(when)];
  if (kw.tags !== undefined) out.tags = [...asList(parent.tags), ...asList(kw.tags)];
  if (kw.vars !== undefined) out.vars = { ...(parent.vars ?? {}), ...(kw.vars as object) };
  for (const k of [
    'environment',
    'ignore_errors',
    'no_log',
    'check_mode',
    'diff',
    'run_once',
    'delegate_to',
    'any_errors_fatal',
    'notify',
  ] as const) {
    if (kw[k] !== undefined) (out as Record<string, unknown>)[k] = kw[k];
  }
  return out;
}

export const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function parseBlock(raw: Record<string, unknown>, file: string, inherit: Inherit, ctx: Ctx): Node[] {
  const kw = BlockKeywords.safeParse(raw);
  if (!kw.success) {
    ctx.errors.add(zodError(kw.error, file, raw, 'block'));
    return [];
  }
  const inner = inheritFrom(inherit, kw.data);
  const node: BlockNode = {
    kind: 'block',
    file,
    line: posOf(raw)?.line ?? 0,
    block: parseTasks(kw.data.block, file, inner, ctx),
    rescue: parseTasks(kw.data.rescue ?? [], file, inner, ctx),
    always: parseTasks(kw.data.always ?? [], file, inner, ctx),
    inherit: inner,
  };
  return [node];
}

export function parseTasks(list: unknown, file: string, inherit: Inherit, ctx: Ctx): Node[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) {
    ctx.errors.add(
      fleetError('playbook.tasks-list', 'a task list must be a YAML list', {
        file,
        line: posOf(list)?.line,
        hint: 'start each task with "- "',
      }),
    );
    return [];
  }
  const out: Node[] = [];
  for (const t of list) {
    if (!isObj(t)) {
      ctx.errors.add(
        fleetError('playbook.task', 'a task must be a mapping', {
          file,
          line: posOf(list)?.line,
          hint: 'write "- name: …\\n  debug: msg=…"',
        }),
      );
      continue;
    }
    out.push(...parseTask(t, file, inherit, ctx));
  }
  return out;
}

/** import_tasks / import_role: resolved while loading; their keywords apply to every task inside. */
function staticImport(node: TaskNode, ctx: Ctx): Node | undefined {
  const inner = inheritFrom(node.inherit, node.kw);
  if (node.action === 'import_tasks') {
    const f = String(node.args.file ?? node.args._raw_params ?? '');
    if (f.includes('{{')) {
      ctx.errors.add(
        fleetError('playbook.import-template', 'import_tasks needs a fixed file name', {
          file: node.file,
          line: node.line,
          hint: 'use include_tasks for a templated file name',
        }),
      );
      return undefined;
    }
    const path = resolveTaskFile(f, ctx, node.inherit.role);
    const tasks = loadTaskList(path, inner, ctx, node);
    return { kind: 'block', file: node.file, line: node.line, block: tasks, rescue: [], always: [], inherit: inner };
  }
  const r = loadRole(
    String(node.args.name ?? ''),
    { ...ctx, dir: node.inherit.role?.path ?? ctx.dir },
    {},
    inner,
    node,
    String(node.args.tasks_from ?? 'main'),
  );
  return r?.block;
}

function loadTaskList(path: string, inherit: Inherit, ctx: Ctx, from: { file: string; line: number }): Node[] {
  const y = ctx.yaml.read(path);
  if (!y.ok) {
    ctx.errors.add({ ...y.error, context: { includedFrom: `${from.file}:${from.line}` } });
    return [];
  }
  return parseTasks(y.value ?? [], path, inherit, { ...ctx, dir: dirname(path) });
}

/** Task files: relative to the role's tasks/ (inside a role), else to the including file's folder. */
export function resolveTaskFile(f: string, ctx: Ctx, role?: RoleCtx): string {
  if (isAbsolute(f)) return f;
  const candidates = [role ? join(role.path, 'tasks', f) : '', join(ctx.dir, f), join(ctx.playbookDir, f)].filter(
    Boolean,
  );
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

function readVarsFile(path: string, ctx: Ctx): Record<string, unknown> {
  for (const p of [path, `${path}.yml`, `${path}.yaml`, join(path, 'main.yml'), join(path, 'main.yaml')]) {
    if (!existsSync(p) || p.endsWith('/')) continue;
    try {
      const y = ctx.yaml.read(p);
      if (!y.ok) {
        if (y.error.code === 'file.unreadable') continue;
        ctx.errors.add(y.error);
        return {};
      }
      if (y.value === null || y.value === undefined) return {};
      if (!isObj(y.value)) {
        ctx.errors.add(
          fleetError('vars.not-mapping', 'a vars file must be a mapping of names to values', { file: p, line: 1 }),
        );
        return {};
      }
      return y.value;
    } catch {
      continue;
    }
  }
  return {};
}

const roleDirCandidates = (name: string, ctx: Ctx) => [
  join(ctx.playbookDir, 'roles', name),
  join(ctx.dir, '..', name),
  join(ctx.dir, 'roles', name),
  join(ctx.playbookDir, name),
];

export interface LoadedRole {
  ctx: RoleCtx;
  block: BlockNode;
  handlers: TaskNode[];
  /** Roles it pulled in (meta dependencies first, then itself), for play-level vars. */
  all: RoleCtx[];
}

/** Loads a role with its meta dependencies (which run first). */
/** `entryVars`: the `vars:` of a roles: entry, role vars below vars/main.yml (and, as all role vars, visible play-wide). */
export function loadRole(
  name: string,
  ctx: Ctx,
  params: Record<string, unknown>,
  inherit: Inherit,
  from: { file: string; line: number },
  tasksFrom = 'main',
  entryVars: Record<string, unknown> = {},
): LoadedRole | undefined {
  const path = roleDirCandidates(name, ctx)
    .map((p) => resolve(p))
    .find((p) => existsSync(p));
  if (!path) {
    ctx.errors.add(
      fleetError('playbook.role-not-found', `role "${name}" not found`, {
        file: from.file,
        line: from.line,
        hint: `create roles/${name}/tasks/main.yml next to the playbook (searched: ${[...new Set(roleDirCandidates(name, ctx).map((p) => resolve(p)))].join(', ')})`,
      }),
    );
    return undefined;
  }
  const role: RoleCtx = {
    name,
    path,
    searchPath: [path, resolve(ctx.playbookDir)],
    defaults: readVarsFile(join(path, 'defaults', 'main'), ctx),
    vars: { ...entryVars, ...readVarsFile(join(path, 'vars', 'main'), ctx) },
    params,
  };
  const inner: Inherit = { ...inherit, role };
  const rctx: Ctx = { ...ctx, dir: join(path, 'tasks') };
  const deps: Node[] = [];
  const handlers: TaskNode[] = [];
  const all: RoleCtx[] = [];
  const meta = readVarsFile(join(path, 'meta', 'main'), ctx);
  for (const d of asList(meta.dependencies)) {
    const entry = parseRoleEntry(d, join(path, 'meta', 'main.yml'), ctx);
    if (!entry) continue;
    const sub = loadRole(
      entry.name,
      { ...ctx, dir: path },
      entry.params,
      inheritFrom({ ...inherit, role: undefined }, entry.kw),
      { file: join(path, 'meta', 'main.yml'), line: posOf(d)?.line ?? 1 },
      'main',
      entry.vars,
    );
    if (sub) {
      deps.push(sub.block);
      handlers.push(...sub.handlers);
      all.push(...sub.all);
    }
  }
  all.push(role);
  const tasksFile = [
    join(path, 'tasks', `${tasksFrom}.yml`),
    join(path, 'tasks', `${tasksFrom}.yaml`),
    join(path, 'tasks', tasksFrom),
  ].find((p) => existsSync(p));
  const tasks = tasksFile ? loadTaskList(tasksFile, inner, rctx, from) : [];
  const hFile = [join(path, 'handlers', 'main.yml'), join(path, 'handlers', 'main.yaml')].find((p) => existsSync(p));
  if (hFile) handlers.push(...loadTaskList(hFile, inner, rctx, from).filter((n): n is TaskNode => n.kind === 'task'));
  const block: BlockNode = {
    kind: 'block',
    file: from.file,
    line: from.line,
    block: [...deps, ...tasks],
    rescue: [],
    always: [],
    inherit: inner,
  };
  return { ctx: role, block, handlers, all };
}

interface ParsedRoleEntry {
  name: string;
  params: Record<string, unknown>;
  /** The entry's `vars:`: role vars (ansible 2.14 shows them to the whole play, unlike params). */
  vars: Record<string, unknown>;
  kw: Record<string, unknown>;
}

const ROLE_KEYWORDS = new Set([
  'role',
  'name',
  'when',
  'tags',
  'vars',
  'environment',
  'ignore_errors',
  'no_log',
  'check_mode',
  'diff',
  'become',
  'delegate_to',
  'run_once',
]);

function parseRoleEntry(raw: unknown, file: string, ctx: Ctx): ParsedRoleEntry | undefined {
  if (typeof raw === 'string') return { name: raw, params: {}, vars: {}, kw: {} };
  const r = RoleEntry.safeParse(raw);
  const name = r.success ? (r.data.role ?? r.data.name) : undefined;
  if (!r.success || !name) {
    ctx.errors.add(
      fleetError('playbook.role-entry', 'a roles: entry needs role: NAME', {
        file,
        line: posOf(raw)?.line,
        hint: 'write "- role: NAME" (optionally with when:, vars:, tags:)',
      }),
    );
    return undefined;
  }
  const params: Record<string, unknown> = {};
  const kw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data)) (ROLE_KEYWORDS.has(k) ? kw : params)[k] = v;
  delete kw.role;
  delete kw.name;
  const vars = isObj(kw.vars) ? kw.vars : {};
  delete kw.vars;
  return { name, params, vars, kw };
}

function loadPlay(raw: unknown, file: string, ctx: Ctx): Play | undefined {
  if (!isObj(raw)) {
    ctx.errors.add(
      fleetError('playbook.play', 'a play must be a mapping', {
        file,
        line: posOf(raw)?.line,
        hint: 'write "- hosts: all\\n  tasks: …"',
      }),
    );
    return undefined;
  }
  if ('import_playbook' in raw) {
    ctx.errors.add(
      fleetError('playbook.import-playbook', 'import_playbook is not supported', {
        file,
        line: posOf(raw)?.line,
        hint: 'list the plays in one playbook file',
      }),
    );
    return undefined;
  }
  const kw = PlayKeywords.safeParse(raw);
  if (!kw.success) {
    ctx.errors.add(zodError(kw.error, file, raw, 'play'));
    return undefined;
  }
  const p = kw.data;
  const base: Inherit = inheritFrom({}, { ...p, vars: undefined, when: undefined });
  const varsFiles: Record<string, unknown> = {};
  for (const vf of p.vars_files ?? []) {
    const f = Array.isArray(vf) ? vf[0] : vf;
    Object.assign(varsFiles, readVarsFile(resolve(ctx.playbookDir, f), ctx));
  }
  const roles: RoleCtx[] = [];
  const handlers: TaskNode[] = [];
  const roleBlocks: Node[] = [];
  const seen = new Set<string>();
  // The raw entries, not zod's copies: they carry the source positions.
  for (const r of (raw.roles as unknown[] | null | undefined) ?? []) {
    const entry = parseRoleEntry(r, file, ctx);
    if (!entry) continue;
    const key = `${entry.name}:${JSON.stringify(entry.params)}:${JSON.stringify(entry.vars)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const lr = loadRole(
      entry.name,
      ctx,
      entry.params,
      inheritFrom(base, entry.kw),
      { file, line: posOf(r)?.line ?? posOf(raw)?.line ?? 0 },
      'main',
      entry.vars,
    );
    if (!lr) continue;
    roleBlocks.push(lr.block);
    handlers.push(...lr.handlers);
    roles.push(...lr.all);
  }
  const line = posOf(raw)?.line ?? 0;
  const hosts = Array.isArray(p.hosts) ? p.hosts.join(',') : p.hosts;
  return {
    file,
    line,
    name: p.name !== undefined ? String(p.name) : hosts,
    kw: p,
    varsFiles,
    pre: parseTasks(p.pre_tasks ?? [], file, base, ctx),
    main: [...roleBlocks, ...parseTasks(p.tasks ?? [], file, base, ctx)],
    post: parseTasks(p.post_tasks ?? [], file, base, ctx),
    handlers: [
      ...handlers,
      ...parseTasks(p.handlers ?? [], file, base, ctx).filter((n): n is TaskNode => n.kind === 'task'),
    ],
    roles,
  };
}

export function loadPlaybook(file: string): Result<Playbook, FleetError[]> {
  const path = resolve(file);
  const yaml = new YamlReader();
  const y = yaml.read(path);
  if (!y.ok) return err([y.error]);
  const dir = dirname(path);
  const ctx: Ctx = { dir, playbookDir: dir, errors: new LoadErrors(), yaml };
  if (!Array.isArray(y.value)) {
    return err([
      fleetError('playbook.not-list', 'a playbook is a YAML list of plays', {
        file: path,
        line: 1,
        hint: 'start with "- hosts: all"',
      }),
    ]);
  }
  const plays = y.value.map((p) => loadPlay(p, path, ctx)).filter((p): p is Play => !!p);
  if (ctx.errors.list.length) return err(ctx.errors.list);
  return ok({ file: path, dir, plays });
}

/** For include_tasks at run time. */
export function loadIncludedTasks(
  file: string,
  inherit: Inherit,
  playbookDir: string,
  from: TaskNode,
): Result<Node[], FleetError[]> {
  const ctx: Ctx = { dir: dirname(from.file), playbookDir, errors: new LoadErrors(), yaml: new YamlReader() };
  const path = resolveTaskFile(file, ctx, inherit.role);
  const nodes = loadTaskList(path, inherit, ctx, from);
  return ctx.errors.list.length ? err(ctx.errors.list) : ok(nodes);
}

/** For include_role at run time. */
export function loadIncludedRole(
  name: string,
  inherit: Inherit,
  playbookDir: string,
  from: TaskNode,
  tasksFrom?: string,
): Result<LoadedRole, FleetError[]> {
  const ctx: Ctx = {
    dir: from.inherit.role?.path ?? dirname(from.file),
    playbookDir,
    errors: new LoadErrors(),
    yaml: new YamlReader(),
  };
  const r = loadRole(name, ctx, {}, inherit, from, tasksFrom ?? 'main');
  return !r || ctx.errors.list.length ? err(ctx.errors.list) : ok(r);
}
