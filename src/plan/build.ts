/**
 * The typed plan from the plan entries the mender_* modules record (report.json's `plan`):
 * one DevicePlan per device. `devices` (the report's host → device id, every host of the recap)
 * puts the hosts no module decided for in the plan as unchanged, in the recap's order. A later
 * decision of the same kind replaces an earlier one.
 */
import type { z } from 'zod';
import type { PlanRecord } from '../engine/report.js';
import { RETRY_HINT, type ConfigDecision, type DevicePlan, type OsDecision, type Plan } from './model.js';

type Entry = Omit<z.infer<typeof PlanRecord>, 'task'>;

export function buildPlan(entries: readonly Entry[], devices: Record<string, string> = {}): Plan {
  const byHost = new Map<string, DevicePlan>();
  for (const [host, id] of Object.entries(devices))
    byHost.set(host, { host, device_id: id, os: { action: 'none' }, config: { action: 'none' } });
  for (const e of entries) {
    let d = byHost.get(e.host);
    if (!d) {
      d = { host: e.host, device_id: e.device_id ?? e.host, os: { action: 'none' }, config: { action: 'none' } };
      byHost.set(e.host, d);
    }
    if (e.kind === 'os') d.os = osDecision(e);
    else if (e.kind === 'config') d.config = configDecision(e);
  }
  return { schema: 'fleetplay.plan/1', devices: [...byHost.values()] };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function osDecision(e: Entry): OsDecision {
  const from = str(e.from);
  const to = str(e.to) ?? '';
  const abort = e.abort ?? [];
  switch (e.action) {
    case 'deploy':
      return abort.length ? { action: 'abort-then-deploy', abort, from, to } : { action: 'deploy', from, to };
    // The desired image is installed; only the deployments of another one in flight go.
    case 'abort':
      return { action: 'abort-then-deploy', abort, from, to };
    case 'wait':
      return { action: 'wait', deployment: e.deployment, artifact: to };
    case 'held':
      return { action: 'held', deployment: e.deployment, failed_at: e.failed_at, retry: RETRY_HINT };
    case 'fail':
      return { action: 'fail', why: e.why };
    default:
      return { action: 'none' };
  }
}

/** Keys only: `from`/`to` hold the differing keys' old and new values (secrets already masked). */
function configDecision(e: Entry): ConfigDecision {
  switch (e.action) {
    case 'deploy': {
      const from = keysOf(e.from);
      const to = keysOf(e.to);
      return {
        action: 'set',
        added: [...to].filter((k) => !from.has(k)),
        changed: [...to].filter((k) => from.has(k)),
        removed: [...from].filter((k) => !to.has(k)),
      };
    }
    case 'wait':
      return { action: 'wait' };
    case 'fail':
      return { action: 'fail', why: e.why };
    default:
      return { action: 'none' };
  }
}

const keysOf = (v: unknown): Set<string> =>
  new Set(v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort() : []);
