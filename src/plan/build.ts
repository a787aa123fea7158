/**
 * The typed plan from what a run recorded: the decisions the mender_* modules add (the engine's
 * plan entries), the host → device id map of the recap, and the hosts that failed. One DevicePlan
 * per device, in the recap's order; a later decision of the same kind replaces an earlier one.
 *
 * - A failed host keeps the decisions made before it failed; the kinds still undecided fail with
 *   the failure's message (the task's module's kind when it makes decisions, else every kind the
 *   run decided about: the device got none of them).
 * - A host with no decision that did not fail was left alone: it follows another stage.
 */
import type { PlanEntry } from '../modules/registry.js';
import { ConfigMap } from '../ota/schemas.js';
import {
  RETRY_HINT,
  type ApplyOutcome,
  type ConfigDecision,
  type DevicePlan,
  type OsDecision,
  type Plan,
} from './model.js';

export type DecisionKind = 'os' | 'config';
const KINDS: readonly DecisionKind[] = ['os', 'config'];
const isKind = (k: string): k is DecisionKind => (KINDS as readonly string[]).includes(k);

/** A host the run failed (or could not reach): why, and the kind of decision its task's module makes. */
export interface HostFailure {
  host: string;
  why: string;
  kind?: DecisionKind;
}

export interface PlanInput {
  /** With `apply`: what the apply phase of `--mode run` did with the write it needed (src/engine/apply.ts). */
  entries: readonly (PlanEntry & { apply?: ApplyOutcome })[];
  /** Host → device id, every host of the recap. */
  devices?: Record<string, string>;
  failures?: readonly HostFailure[];
}

export function buildPlan(entries: readonly PlanEntry[], devices?: Record<string, string>): Plan;
export function buildPlan(input: PlanInput): Plan;
export function buildPlan(a: readonly PlanEntry[] | PlanInput, devices: Record<string, string> = {}): Plan {
  const input: PlanInput = isInput(a) ? a : { entries: a, devices };
  const byHost = new Map<string, DevicePlan>();
  const decided = new Map<string, Set<DecisionKind>>();
  const plan = (host: string, id?: string): DevicePlan => {
    let d = byHost.get(host);
    if (!d) byHost.set(host, (d = undecided(host, id ?? input.devices?.[host] ?? host)));
    return d;
  };
  for (const [host, id] of Object.entries(input.devices ?? {})) plan(host, id);
  const kinds = new Set<DecisionKind>();
  for (const e of input.entries) {
    if (!isKind(e.kind)) continue;
    const d = plan(e.host, e.device_id);
    if (e.kind === 'os') d.os = osDecision(e);
    else d.config = configDecision(e);
    kinds.add(e.kind);
    (decided.get(e.host) ?? decided.set(e.host, new Set()).get(e.host)!).add(e.kind);
    if (e.apply) d.apply = worse(d.apply, e.apply);
    if (e.wave !== undefined) d.wave = e.wave;
  }
  for (const f of input.failures ?? []) if (f.kind) kinds.add(f.kind);
  for (const f of input.failures ?? []) {
    const d = plan(f.host);
    const done = decided.get(f.host) ?? new Set<DecisionKind>();
    for (const k of f.kind ? [f.kind] : kinds) {
      if (done.has(k)) continue;
      if (k === 'os') d.os = { action: 'fail', why: f.why };
      else d.config = { action: 'fail', why: f.why };
      done.add(k);
    }
    decided.set(f.host, done);
  }
  const failed = new Set((input.failures ?? []).map((f) => f.host));
  for (const d of byHost.values()) if (!decided.get(d.host)?.size && !failed.has(d.host)) d.other_stage = true;
  return { schema: 'fleetplay.plan/1', devices: [...byHost.values()] };
}

const isInput = (a: readonly PlanEntry[] | PlanInput): a is PlanInput => !Array.isArray(a);

const undecided = (host: string, id: string): DevicePlan => ({
  host,
  device_id: id,
  os: { action: 'none' },
  config: { action: 'none' },
});

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function osDecision(e: PlanEntry): OsDecision {
  const from = str(e.from);
  const to = str(e.to);
  const abort = e.abort ?? [];
  const why = e.why || undefined;
  switch (e.action) {
    case 'deploy':
      return abort.length
        ? { action: 'abort-then-deploy', abort, from, to: to ?? '', why }
        : { action: 'deploy', from, to: to ?? '', why };
    // The desired image is installed; only the deployments of another one in flight go.
    case 'abort':
      return { action: 'abort-then-deploy', abort, from, to: to ?? '', why };
    case 'wait':
      return { action: 'wait', deployment: e.deployment, artifact: to ?? '', why };
    case 'held':
      return { action: 'held', deployment: e.deployment, failed_at: e.failed_at, retry: RETRY_HINT, to, why };
    case 'window':
      return { action: 'window', from, to: to ?? '', opens: e.opens ?? '', window: e.window ?? '', why: e.why };
    case 'deferred':
      return { action: 'deferred', from, to: to ?? '', why: e.why };
    case 'fail':
      return { action: 'fail', why: e.why, to };
    case 'later':
      return {
        action: 'later',
        wave: e.wave ?? 0,
        to: to ?? '',
        ...(e.halted ? { halted: true as const } : {}),
        ...(e.halted_wave !== undefined ? { halted_wave: e.halted_wave } : {}),
        ...(e.opens ? { opens: e.opens } : {}),
        ...(abort.length ? { abort } : {}),
        why: e.why,
      };
    default:
      return { action: 'none', to, why };
  }
}

/** `from`/`to` hold the differing keys' old and new values (secret-named keys already masked). */
function configDecision(e: PlanEntry): ConfigDecision {
  const why = e.why || undefined;
  switch (e.action) {
    case 'deploy': {
      const { values, ...keys } = keyChanges(e);
      return { action: 'set', ...keys, values, why };
    }
    case 'window': {
      const { added, changed, removed } = keyChanges(e);
      return { action: 'window', added, changed, removed, opens: e.opens ?? '', window: e.window ?? '', why: e.why };
    }
    case 'wait':
      return { action: 'wait', why };
    case 'fail':
      return { action: 'fail', why: e.why };
    case 'later': {
      const { added, changed, removed, values } = keyChanges(e);
      const halted = e.halted ? { halted: true as const } : {};
      const failed = e.deployment_failed ? { failed: true as const } : {};
      return { action: 'later', wave: e.wave ?? 0, added, changed, removed, ...halted, ...failed, values, why: e.why };
    }
    default:
      return { action: 'none', checked: true, why };
  }
}

/** The keys a configuration entry adds, changes and removes, and the new values. */
function keyChanges(e: PlanEntry) {
  const from = keysOf(e.from);
  const to = ConfigMap.safeParse(e.to ?? {});
  const values = to.success ? to.data : {};
  const toKeys = Object.keys(values).sort();
  return {
    added: toKeys.filter((k) => !from.has(k)),
    changed: toKeys.filter((k) => from.has(k)),
    removed: [...from].filter((k) => !(k in values)),
    values,
  };
}

const keysOf = (v: unknown): Set<string> =>
  new Set(v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort() : []);

const RANK = { sent: 0, 'not-sent': 1, failed: 2 } as const;

/** A device's apply outcome over its writes: a failure beats not sent beats sent. */
function worse(a: ApplyOutcome | undefined, b: ApplyOutcome): ApplyOutcome {
  return a && RANK[a.status] >= RANK[b.status] ? a : b;
}
