/**
 * The plan gate: after the plan phase, whether the apply phase may write, and for which hosts.
 * Failed hosts (not ignored, not rescued, not unreachable) block every write unless an operator
 * allowed that many (`--max-failed N|P%`, or the play's `max_fail_percentage`); within the
 * allowance the others are written, never the failed ones. Unreachable hosts (a device the OTA
 * server does not know or has not accepted) never block: they get no write, the others go on.
 */
import type { MaxFailed } from '../monitor/classify.js';

/** A host's counts after the plan phase (the recap's). */
export interface HostCounts {
  failed: number;
  unreachable: number;
}

export type GateVerdict = { apply: true; skip: ReadonlySet<string> } | { apply: false; failed: string[]; why: string };

export interface GateInput {
  hosts: Record<string, HostCounts>;
  /** --max-failed; above the plays' max_fail_percentage. */
  maxFailed?: MaxFailed;
  /** The lowest max_fail_percentage of the playbook's plays, if one sets it. */
  maxFailPercentage?: number;
  /** Errors of the playbook itself (an unsupported meta, a handler not found): never allowed. */
  errors: number;
}

export function gate(i: GateInput): GateVerdict {
  const names = Object.keys(i.hosts);
  const failed = names.filter((h) => i.hosts[h].failed > 0);
  const skip = new Set(names.filter((h) => i.hosts[h].failed > 0 || i.hosts[h].unreachable > 0));
  if (i.errors > 0) return { apply: false, failed, why: 'the playbook has errors' };
  if (!failed.length) return { apply: true, skip };
  const allowance = i.maxFailed ?? (i.maxFailPercentage !== undefined ? percent(i.maxFailPercentage) : undefined);
  if (allowance && within(failed.length, names.length, allowance)) return { apply: true, skip };
  const allowed = allowance ? `, more than ${describe(allowance)} allows` : '';
  return { apply: false, failed, why: `${failed.length} of ${names.length} hosts failed${allowed}` };
}

const percent = (pct: number): MaxFailed => ({ kind: 'percent', pct });

/** As ansible's max_fail_percentage: the play stops when the failed share is above it. */
function within(failed: number, total: number, m: MaxFailed): boolean {
  return m.kind === 'count' ? failed <= m.n : (failed / total) * 100 <= m.pct;
}

function describe(m: MaxFailed): string {
  return m.kind === 'count' ? `--max-failed ${m.n}` : `${m.pct}%`;
}
