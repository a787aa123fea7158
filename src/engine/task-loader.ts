/**
 * Task lists: each task split into its keywords and its one action with arguments, blocks,
 * and static imports (import_tasks, import_role) resolved while loading.
 */
import { dirname } from 'node:path';
import { fleetError } from '../errors/index.js';
import { getModule } from '../modules/registry.js';
import { parseKv } from './kv.js';
import { resolveTaskFile, type Ctx } from './load-context.js';
import { ENGINE_ACTIONS, inheritFrom, isObj, short, zodError } from './keywords.js';
import { BlockKeywords, TaskKeywords, type BlockNode, type Inherit, type Node, type TaskNode } from './model.js';
import { keyLine, posOf } from './yaml.js';

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
    if (p.unbalanced) {
      ctx.errors.add(
        fleetError(
          'playbook.unbalanced',
          `failed at splitting arguments, either an unbalanced jinja2 block or quotes: ${value}`,
          {
            file,
            line,
            hint: `close the quote or the {{ }} / {% %}, or use YAML mapping form (${action}:\n  msg: …)`,
          },
        ),
      );
      return undefined;
    }
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
    ctx.errors.at('playbook.tasks-list', 'a task list must be a YAML list', file, list, 'start each task with "- "');
    return [];
  }
  const out: Node[] = [];
  for (const t of list) {
    if (!isObj(t)) {
      ctx.errors.at('playbook.task', 'a task must be a mapping', file, list, 'write "- name: …\\n  debug: msg=…"');
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
  const r = ctx.loadRole(
    String(node.args.name ?? ''),
    { ...ctx, dir: node.inherit.role?.path ?? ctx.dir },
    {},
    inner,
    node,
    String(node.args.tasks_from ?? 'main'),
  );
  return r?.block;
}

export function loadTaskList(path: string, inherit: Inherit, ctx: Ctx, from: { file: string; line: number }): Node[] {
  const y = ctx.yaml.read(path);
  if (!y.ok) {
    ctx.errors.add({ ...y.error, context: { includedFrom: `${from.file}:${from.line}` } });
    return [];
  }
  return parseTasks(y.value ?? [], path, inherit, { ...ctx, dir: dirname(path) });
}
