/**
 * Roles: defaults, vars, tasks, handlers and meta dependencies (which run first), found next
 * to the playbook or the including role.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fleetError } from '../errors/index.js';
import { readVarsFile, type Ctx } from './load-context.js';
import { accepts } from './keyword-table.js';
import { asList, inheritFrom, isObj } from './keywords.js';
import { RoleEntry, type BlockNode, type Inherit, type Node, type RoleCtx, type TaskNode } from './model.js';
import { loadTaskList } from './task-loader.js';
import { posOf } from './yaml.js';

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

export function parseRoleEntry(raw: unknown, file: string, ctx: Ctx): ParsedRoleEntry | undefined {
  if (typeof raw === 'string') return { name: raw, params: {}, vars: {}, kw: {} };
  const r = RoleEntry.safeParse(raw);
  const written = r.success ? (r.data.role ?? r.data.name) : undefined;
  const name = written === undefined ? undefined : String(written);
  if (!r.success || !name) {
    ctx.errors.at(
      'playbook.role-entry',
      'a roles: entry needs role: NAME',
      file,
      raw,
      'write "- role: NAME" (optionally with when:, vars:, tags:)',
    );
    return undefined;
  }
  const params: Record<string, unknown> = {};
  const kw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data)) (accepts('role', k) ? kw : params)[k] = v;
  delete kw.role;
  delete kw.name;
  const vars = isObj(kw.vars) ? kw.vars : {};
  delete kw.vars;
  return { name, params, vars, kw };
}
