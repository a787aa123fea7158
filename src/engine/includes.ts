/**
 * include_tasks / include_role (ansible's IncludedFile.process_include_results): loaded when
 * reached, once per distinct file and item, then run by the strategy for the hosts that want it.
 */
import type { FleetError } from '../errors/index.js';
import { FleetFailure } from '../errors/index.js';
import { inheritThroughInclude } from './keywords.js';
import { loadIncludedRole, loadIncludedTasks } from './loader.js';
import type { Inherit, Node, TaskNode } from './model.js';
import type { Results } from './results.js';
import { taskName } from './results.js';
import { bump, type EngineOptions, type HostState, type PlayState } from './state.js';
import { conditions, type TaskEnv } from './task.js';
import { labelOf, loopItems } from './loop.js';
import type { VariableManager } from './variables.js';

/** What an include needs of the strategy running it. */
export interface IncludeRunner {
  readonly o: EngineOptions;
  readonly vars: VariableManager;
  readonly results: Results;
  readonly errors: FleetError[];
  readonly runner: { readonly env: TaskEnv };
  runNodes(nodes: Node[], ps: PlayState, hosts: HostState[]): Promise<void>;
  afterTask(ps: PlayState, hosts: HostState[], runOnceFailed: boolean): void;
}

interface Wanted {
  h: HostState;
  item?: unknown;
  loopVar: string;
  target: string;
  label?: string;
}

export async function runInclude(s: IncludeRunner, t: TaskNode, ps: PlayState, targets: HostState[]): Promise<void> {
  const role = t.action === 'include_role';
  s.o.printer.task(taskName(t));
  const wanted = targets.flatMap((h) => wantedBy(s, t, ps, h));
  const groups = new Map<string, Wanted[]>();
  for (const w of wanted) {
    const key = `${w.target}\u0000${JSON.stringify(w.item ?? null)}`;
    const g = groups.get(key) ?? [];
    g.push(w);
    groups.set(key, g);
  }
  const inherit = inheritThroughInclude(t);
  for (const g of groups.values()) await runGroup(s, t, ps, g, inherit, role);
  s.afterTask(ps, targets, false);
}

/** The files (and items) host `h` includes; none (and a skip) when its conditions say no. */
function wantedBy(s: IncludeRunner, t: TaskNode, ps: PlayState, h: HostState): Wanted[] {
  const role = t.action === 'include_role';
  const vars = s.vars.varsFor(h, t, ps);
  let items: unknown[] | undefined;
  try {
    items = loopItems(t, vars, s.runner.env, h.name);
  } catch (e) {
    s.results.failHost(t, h, e);
    return [];
  }
  const loopVar = t.kw.loop_control?.loop_var ?? 'item';
  const out: Wanted[] = [];
  for (const item of items ?? [undefined]) {
    const v = items ? s.vars.varsFor(h, t, ps, { [loopVar]: item }) : vars;
    if (!s.o.templar.conditional(conditions(t), v, { file: t.file, line: t.line, host: h.name })) continue;
    const args = s.o.templar.template(t.args, v) as Record<string, unknown>;
    const target = String(role ? args.name : (args.file ?? args._raw_params ?? ''));
    out.push({ h, item, loopVar, target, label: items ? labelOf(item) : undefined });
  }
  if (!out.length) {
    s.o.printer.result('skipping', h.name, {}, {});
    bump(h, 'skipped');
  }
  return out;
}

async function runGroup(
  s: IncludeRunner,
  t: TaskNode,
  ps: PlayState,
  g: Wanted[],
  inherit: Inherit,
  role: boolean,
): Promise<void> {
  const first = g[0];
  const loaded = role
    ? loadIncludedRole(first.target, inherit, s.o.playbook.dir, t, t.args.tasks_from as string | undefined)
    : loadIncludedTasks(first.target, inherit, s.o.playbook.dir, t);
  if (!loaded.ok) {
    for (const e of loaded.error) s.errors.push(e);
    for (const w of g) s.results.failHost(t, w.h, new FleetFailure(loaded.error[0]));
    return;
  }
  if (!role) {
    s.o.printer.line(
      `included: ${first.target} for ${g.map((w) => w.h.name).join(', ')}${first.label !== undefined ? ` => (item=${first.label})` : ''}`,
    );
    for (const w of g) bump(w.h, 'ok');
  }
  const nodes = Array.isArray(loaded.value) ? loaded.value : [loaded.value.block];
  if (role && !Array.isArray(loaded.value)) {
    for (const hd of loaded.value.handlers) if (!ps.play.handlers.includes(hd)) ps.play.handlers.push(hd);
  }
  const saved = new Map(g.map((w) => [w.h, w.h.include]));
  // The include's vars: are also include params (ansible's get_include_params): above set_fact and role params.
  const params = t.kw.vars;
  for (const w of g)
    if (params || first.item !== undefined)
      w.h.include = Object.assign({}, w.h.include, params, first.item !== undefined ? { [w.loopVar]: w.item } : {});
  await s.runNodes(
    nodes,
    ps,
    g.map((w) => w.h),
  );
  for (const [h, inc] of saved) h.include = inc;
}
