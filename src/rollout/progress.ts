/**
 * A device's progress against this commit when the commit changes its configuration, and the
 * one progression a device has when the commit changes both its OS image and its configuration.
 *
 * One progression per device, not one per kind of change: a commit is one release, and wave k+1
 * should get it only when wave k took all of it and stayed healthy. A bad configuration therefore
 * halts the OS rollout of the same commit too (and a bad image the configuration's): with two
 * progressions a commit known to break devices would still reach the whole stage by its other half.
 * Pure.
 */
import type { ConfigDecision } from '../modules/mender/config-plan.js';
import type { DeviceProgress, Progress } from './decide.js';

/** What the server says of a device's configuration (src/modules/mender/facts.ts' config facts). */
export interface ConfigFacts {
  /** When the device last reported its configuration (ISO). */
  reported_ts?: string;
  /** Its latest configuration deployment failed there. */
  failed?: boolean;
}

/**
 * Where a device stands against the configuration this commit wants: reported (done, finished
 * when the device reported it), its deployment in flight (active), configured but failed there
 * (failed: the server's configuration deployment says so), or still to deploy (todo; a device
 * reporting another configuration with no failed deployment drifted, it is deployed again).
 * A configuration that cannot be rendered fails the device in the run: out of the rollout.
 */
export function configProgress(d: ConfigDecision | { action: 'fail' }, f: ConfigFacts | undefined): DeviceProgress {
  switch (d.action) {
    case 'none': {
      const at = f?.reported_ts ? Date.parse(f.reported_ts) : NaN;
      return Number.isFinite(at) ? { state: 'done', finished: at } : { state: 'done' };
    }
    case 'wait':
      return { state: 'active' };
    case 'deploy':
      return !d.set && f?.failed ? { state: 'failed' } : { state: 'todo' };
    default:
      return { state: 'skip' };
  }
}

/** Worst first: a failure of either change is the device's failure, a change in flight keeps it unfinished. */
const RANK: Record<Progress, number> = { failed: 4, active: 3, todo: 2, done: 1, skip: 0 };

/** The device's one progression: the worse of its OS and configuration sides; done when both are, at the later finish. */
export function combine(a: DeviceProgress | undefined, b: DeviceProgress | undefined): DeviceProgress {
  if (!a || !b) return a ?? b ?? { state: 'skip' };
  if (RANK[a.state] !== RANK[b.state]) return RANK[a.state] > RANK[b.state] ? a : b;
  if (a.finished === undefined || b.finished === undefined) return a.finished === undefined ? b : a;
  return a.finished >= b.finished ? a : b;
}
