/**
 * Module registry. A module is an API call made by the controller for one or many hosts:
 * `run` serves one host, `runBatch` serves every host of a task at once (one bulk request
 * for many devices). FQCN aliases (ansible.builtin.X) resolve to the same definition.
 */
import type { z } from 'zod';
import type { Templar, Vars } from '../template/index.js';
import { shortName } from '../plugins/fqcn.js';
import type { RunContext, ServiceDef } from '../run/context.js';

export type RunMode = 'run' | 'dry-run' | 'dry-run-debug';

export interface HostContext {
  host: string;
  vars: Vars;
  templar: Templar;
  checkMode: boolean;
  diff: boolean;
  mode: RunMode;
  /** Environment for processes the module starts (play/task `environment:` over the controller's). */
  env?: NodeJS.ProcessEnv;
  /** Where the task is written, for messages. */
  file?: string;
  line?: number;
  /** The play's engine: lets meta-like modules talk back (flush handlers…). */
  task?: string;
  /**
   * Given in the plan phase of `--mode run`: the module hands its write over instead of doing it
   * and returns the result it will have. Absent (a direct caller, check mode): it writes at once.
   */
  defer?: Defer;
  /** The run this call belongs to: its services (OTA sessions), not module globals. */
  run?: RunContext;
}

/**
 * A write a module put off until the apply phase (src/engine/apply.ts). `run` writes for the
 * hosts given (those of `hosts` the plan gate let through) and returns results for hosts whose
 * outcome differs from the planned one (a failure, typically) or whose answer a register reads
 * (uri's status, json…); a host without one had the planned result.
 */
export interface Write {
  hosts: string[];
  /** What it sends, for the APPLY output and the report ("POST /deployments for 5 devices"). */
  describe: string;
  /** The planned result said changed (the apply moves a failed host from changed to failed). */
  changed: boolean;
  run(hosts: ReadonlySet<string>): Promise<Map<string, ModuleResult>>;
}

/** A write with the task it came from, in task order (the engine's). */
export interface DeferredWrite extends Write {
  task: string;
  file: string;
  line: number;
  /** Per host, a register waiting for this write's answer (src/engine/deferred.ts); told once it was sent. */
  registers?: Map<string, (result: ModuleResult | undefined) => void>;
}

export type Defer = (w: Write) => void;

export interface ModuleResult {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  /** Usually a string; debug may return any value. */
  msg?: unknown;
  [k: string]: unknown;
}

/** One per-device decision that ends up in the run report (`--report FILE`). */
export interface PlanEntry {
  host: string;
  /** The Mender device id of the host (its mender_device_id, else the host name). */
  device_id?: string;
  kind: string;
  /** What the module decided: none, wait, deploy, abort, fail (the summary counts these). */
  action?: string;
  from?: unknown;
  to?: unknown;
  why: string;
  /** OS: the deployment waited for, or the failed one a held device keeps (src/plan reads these). */
  deployment?: string;
  /** OS: ids of deployments in flight that are aborted first. */
  abort?: string[];
  /** OS: when a held device's deployment failed. */
  failed_at?: string;
  /**
   * Outside the device's maintenance window (action `window`): when it opens (ISO) and the windows;
   * OS `later`: when the wave before has soaked long enough for the device's wave to start.
   */
  opens?: string;
  window?: string;
  /** OS: the device's rollout wave (1 = first), when its stage rolls out in waves. */
  wave?: number;
  /** OS `later`: the rollout of this release halted (a wave had too many failures), at wave `halted_wave`. */
  halted?: boolean;
  halted_wave?: number;
  /** Configuration `later`: the device's own deployment of this configuration failed (a failure of its wave). */
  deployment_failed?: boolean;
}

export interface PlanSink {
  add(entry: PlanEntry): void;
}

export interface BatchItem<A> {
  host: string;
  args: A;
  ctx: HostContext;
}

export interface ModuleDef<A = unknown> {
  /** Short name; `ansible.builtin.<name>` and `ansible.legacy.<name>` resolve to it (src/plugins/fqcn.ts). */
  name: string;
  aliases?: string[];
  /** Validated after templating; a zod error is a task failure naming the task file and line. */
  args: z.ZodType<A>;
  /** Supports check mode / dry-run; when false the task is skipped in check mode. */
  checkMode: boolean;
  /** Runs on the first host only, for the whole batch (ansible's BYPASS_HOST_LOOP, e.g. pause). */
  bypassHostLoop?: boolean;
  /** Modules that accept `key=value` free-form text (`command: ls -l`) put it in this arg. */
  freeForm?: string;
  /**
   * The kind of plan decision the module makes per host (src/plan): a host this module's task
   * fails before it decided gets a failed decision of this kind in the plan.
   */
  plans?: 'os' | 'config';
  /**
   * The facts a call sets (`ansible_facts` names), from its untemplated args; undefined when
   * they cannot be told. Without it the module sets none. The plan phase of `--mode run` needs
   * them for a task put off until the apply (src/engine/deferred.ts).
   */
  facts?(args: Record<string, unknown>): string[] | undefined;
  /** Args whose templating the module does itself (e.g. `until`-like lazy args); rarely needed. */
  rawArgs?: boolean;
  run?(args: A, ctx: HostContext): Promise<ModuleResult> | ModuleResult;
  /** Bulk form: called once per task with every host still active (after when:/loop expansion). */
  runBatch?(
    items: BatchItem<A>[],
    task: { name: string; report: PlanSink; defer?: Defer },
  ): Promise<Map<string, ModuleResult>>;
}

// Modules take differently typed args: the registry keeps them with the type erased.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const modules = new Map<string, ModuleDef<any>>();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerModule(def: ModuleDef<any>): void {
  if (!def.run && !def.runBatch) throw new Error(`module ${def.name} needs run or runBatch`);
  for (const n of [def.name, ...(def.aliases ?? [])]) modules.set(n, def);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function getModule(name: string): ModuleDef<any> | undefined {
  return modules.get(name) ?? modules.get(shortName(name, 'module'));
}

export function moduleNames(): string[] {
  return [...new Set([...modules.values()].map((m) => m.name))].sort();
}

const services = new Map<string, ServiceDef>();

/** A plugin's per-run state (its sessions, counters): every run context starts one of each. */
export function registerService(def: ServiceDef): void {
  services.set(def.name, def);
}

export function registeredServices(): ServiceDef[] {
  return [...services.values()];
}
