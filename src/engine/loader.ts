/**
 * Loads a playbook into the model: its plays here, roles in role-loader.ts, task lists and
 * static imports in task-loader.ts, keyword checks in keywords.ts. Dynamic includes stay tasks
 * and are loaded when they run (`loadIncludedTasks`, `loadIncludedRole`). Every error names the
 * file and line and says what to write.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fleetError, type FleetError, type Result, ok, err } from '../errors/index.js';
import { LoadErrors, readVarsFile, resolveTaskFile, type Ctx } from './load-context.js';
import { inheritFrom, isObj, zodError } from './keywords.js';
import {
  PlayKeywords,
  type Inherit,
  type Node,
  type Play,
  type Playbook,
  type RoleCtx,
  type TaskNode,
} from './model.js';
import { loadRole, parseRoleEntry, type LoadedRole } from './role-loader.js';
import { loadTaskList, parseTasks } from './task-loader.js';
import { keyLine, posOf, YamlReader } from './yaml.js';

function loadPlay(raw: unknown, file: string, ctx: Ctx): Play | undefined {
  if (!isObj(raw)) {
    ctx.errors.at('playbook.play', 'a play must be a mapping', file, raw, 'write "- hosts: all\\n  tasks: …"');
    return undefined;
  }
  if ('import_playbook' in raw) {
    ctx.errors.at(
      'playbook.import-playbook',
      'import_playbook is not supported',
      file,
      raw,
      'list the plays in one playbook file',
    );
    return undefined;
  }
  if ('vars_prompt' in raw) {
    // Runs are unattended (CI): a prompt would never be answered, and ignoring it runs without the value.
    ctx.errors.at(
      'playbook.vars-prompt',
      'vars_prompt is not supported: fleetplay runs are not interactive',
      file,
      raw,
      "give the value with -e NAME=VALUE, or from the environment with a default: \"{{ lookup('env', 'NAME') }}\"",
    );
    return undefined;
  }
  const kw = PlayKeywords.safeParse(raw);
  if (!kw.success) {
    ctx.errors.add(zodError(kw.error, file, raw, 'play'));
    return undefined;
  }
  const p = kw.data;
  // Play vars are their own layer of the variables (variables.ts), not block vars.
  const base: Inherit = inheritFrom({}, { ...p, vars: undefined });
  const varsFiles: Record<string, unknown> = {};
  for (const vf of p.vars_files ?? []) {
    const path = varsFilePath(vf, ctx.playbookDir);
    if (path === undefined) {
      const names = Array.isArray(vf) ? vf.join(', ') : vf;
      ctx.errors.add(
        fleetError('playbook.vars-file', `vars file ${names} was not found (relative to ${ctx.playbookDir})`, {
          file,
          line: keyLine(raw, 'vars_files'),
          hint: 'create the file (a mapping of names to values), fix its path, or remove it from vars_files',
        }),
      );
      continue;
    }
    Object.assign(varsFiles, readVarsFile(path, ctx));
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
  const ctx: Ctx = { dir, playbookDir: dir, errors: new LoadErrors(), yaml, loadRole };
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
  const ctx: Ctx = { dir: dirname(from.file), playbookDir, errors: new LoadErrors(), yaml: new YamlReader(), loadRole };
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
    loadRole,
  };
  const r = loadRole(name, ctx, {}, inherit, from, tasksFrom ?? 'main');
  return !r || ctx.errors.list.length ? err(ctx.errors.list) : ok(r);
}

/**
 * The file a vars_files entry names: the first of a list that exists (ansible's rule). A templated
 * name is read as written; a missing file is undefined (ansible 2.14: "vars file X was not found").
 */
function varsFilePath(entry: string | string[], dir: string): string | undefined {
  const paths = (Array.isArray(entry) ? entry : [entry]).map((f) => resolve(dir, f));
  return (
    paths.find((p) => existsSync(p) || existsSync(`${p}.yml`)) ??
    (paths.some((p) => p.includes('{{')) ? paths[0] : undefined)
  );
}
