/**
 * What a run's plan needs besides the modules' decisions: whether the playbook makes plan
 * decisions at all (then the plan summary is printed, even when no host reached those tasks), and
 * the hosts that failed with why, in the kind of the module that failed them.
 */
import type { Node, Playbook } from '../engine/model.js';
import type { TaskRecord } from '../engine/report.js';
import { getModule } from '../modules/registry.js';
import type { DecisionKind, HostFailure } from './build.js';

const kindOf = (action: string): DecisionKind | undefined => getModule(action)?.plans;

/** A task of the playbook (blocks, rescue, always, handlers; dynamic includes aside) makes plan decisions. */
export function makesPlan(pb: Playbook): boolean {
  const any = (nodes: Node[]): boolean =>
    nodes.some((n) => (n.kind === 'block' ? any(n.block) || any(n.rescue) || any(n.always) : !!kindOf(n.action)));
  return pb.plays.some((p) => any(p.pre) || any(p.main) || any(p.post) || any(p.handlers));
}

/** Each host's last failure, from the engine's onFailure (a rescued host is left out by the caller). */
export class FailureLog {
  private readonly last = new Map<string, { action: string; result: Record<string, unknown> }>();
  private readonly kinds = new Map<string, DecisionKind | undefined>();
  /** A task of a module that makes plan decisions failed a host (a dynamically included one counts too). */
  planned = false;

  readonly add = (r: Pick<TaskRecord, 'host' | 'action' | 'result'>): void => {
    if (!this.planned) this.planned = this.kind(r.action) !== undefined;
    this.last.set(r.host, r);
  };

  /** The failures of the hosts `failed` says failed in the end. */
  failures(failed: (host: string) => boolean): HostFailure[] {
    const out: HostFailure[] = [];
    for (const [host, r] of this.last)
      if (failed(host)) out.push({ host, why: messageOf(r.result), kind: this.kind(r.action) });
    return out;
  }

  private kind(action: string): DecisionKind | undefined {
    if (!this.kinds.has(action)) this.kinds.set(action, kindOf(action));
    return this.kinds.get(action);
  }
}

function messageOf(result: Record<string, unknown>): string {
  const msg = result.msg;
  if (typeof msg === 'string' && msg) return msg;
  if (result.censored !== undefined) return String(result.censored);
  return msg === undefined ? 'failed' : JSON.stringify(msg);
}
