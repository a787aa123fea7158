/**
 * `fleetplay run --limit` in a stage that rolls out in waves. Wave membership is a function of
 * the whole stage's devices; a play limited to some hosts sees only those, and would cut its
 * waves out of them (a limited device would land in wave 1 of a one-device "stage"). So a limited
 * run first plans the whole stage as the monitor does (a dry run of the same playbook without
 * --limit: nothing is written), and passes each limited host's verdict — its wave, why it waits,
 * a halt — to the modules (`fleetplay_waves`, read by the default playbook as `stage_wave`). The
 * limited run then schedules only limited devices of the waves the stage may schedule now; a
 * limited device of a later wave gets its `later` decision. It costs what a dry run of the stage
 * costs (the configurations are read one request per device).
 */
import { Writable } from 'node:stream';
import { runPlaybook, limitHosts, type RunOptions } from '../engine/run.js';
import { loadInventory } from '../inventory/index.js';
import type { DevicePlan } from '../plan/model.js';
import type { WaveVerdict } from '../rollout/index.js';

/** Host → its verdict in the whole stage's plan, for the hosts --limit keeps (undefined: no limit to honour). */
export async function limitedWaves(
  o: RunOptions & { limit: string },
): Promise<Record<string, WaveVerdict> | undefined> {
  const inv = loadInventory(o.inventory);
  const limited = inv.ok ? limitHosts(o.limit, inv.value) : undefined;
  // A bad inventory or --limit: the run itself says so.
  if (!limited?.ok || !limited.value) return undefined;
  const keep = new Set(limited.value);
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const r = await runPlaybook({
    ...o,
    limit: undefined,
    mode: 'dry-run',
    report: undefined,
    results: undefined,
    recordResults: false,
    onRecord: undefined,
    beforeFirstWrite: undefined,
    stdout: quiet,
    stderr: quiet,
    // Only the plan is read: ok and skipped lines need not be made for every device of the stage.
    env: { ...(o.env ?? process.env), ANSIBLE_DISPLAY_OK_HOSTS: 'false', ANSIBLE_DISPLAY_SKIPPED_HOSTS: 'false' },
  });
  const out: Record<string, WaveVerdict> = {};
  for (const d of r.report.plan) if (keep.has(d.host) && d.wave !== undefined) out[d.host] = verdictOf(d, d.wave);
  return out;
}

/** A device's verdict as the plan shows it: a `later` decision (OS first) says why and whether the rollout halted. */
export function verdictOf(d: DevicePlan, wave: number): WaveVerdict {
  const later = d.os.action === 'later' ? d.os : d.config.action === 'later' ? d.config : undefined;
  if (!later) return { wave };
  const opens = d.os.action === 'later' && d.os.opens ? { opens: d.os.opens } : {};
  if (!later.halted) return { wave, why: later.why, ...opens };
  // A halted wave's device whose deployment was aborted: the words of the halt, and the abort.
  const abort = d.os.action === 'later' && (d.os.abort?.length ?? 0) > 0;
  const at = d.os.action === 'later' && d.os.halted_wave !== undefined ? { halted_wave: d.os.halted_wave } : {};
  return { wave, why: later.why.split('; ')[0], halted: true, ...at, ...(abort ? { abort: true as const } : {}) };
}
