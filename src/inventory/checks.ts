import { fleetError, type FleetError } from '../errors/index.js';
import type { LoadedInventory } from './model.js';
import type { VarLayer } from './types.js';

const BRANCH = 'subscribed_branch';

interface Setter {
  group: string;
  value: unknown;
  source: string;
}

/**
 * A device in two stage groups that set different `subscribed_branch` would follow
 * whichever group sorts last — an accident, not a decision. A child group overriding
 * its parent is fine, and so is a device that sets the branch itself.
 */
export function checkSubscriptions(inv: LoadedInventory): FleetError[] {
  const errors: FleetError[] = [];
  const bySignature = new Map<string[], Setter[] | null>(); // sortedGroups arrays are shared per group set
  for (const host of inv.definedHosts) {
    const groups = inv.sortedGroups(host);
    let clash = bySignature.get(groups);
    if (clash === undefined) {
      clash = conflicting(inv, groups);
      bySignature.set(groups, clash);
    }
    if (clash && !inv.ownHostLayers(host).some((l) => BRANCH in l.vars)) errors.push(conflictError(inv, host, clash));
  }
  return errors;
}

function conflicting(inv: LoadedInventory, groups: string[]): Setter[] | null {
  const setters = groups.map((g) => setterOf(g, inv.ownGroupLayers(g))).filter((s): s is Setter => s !== undefined);
  const effective = setters.filter((s) => !setters.some((o) => inv.isAncestor(s.group, o.group)));
  const values = new Set(effective.map((s) => JSON.stringify(s.value)));
  return values.size > 1 ? effective : null;
}

function setterOf(group: string, layers: VarLayer[]): Setter | undefined {
  const last = layers.filter((l) => BRANCH in l.vars).pop();
  return last ? { group, value: last.vars[BRANCH], source: last.source } : undefined;
}

function conflictError(inv: LoadedInventory, host: string, setters: Setter[]): FleetError {
  const list = setters.map((s) => `"${s.group}" (${BRANCH}: ${String(s.value)}, from ${s.source})`).join(' and ');
  return fleetError('inventory.branch-conflict', `device ${host} is in groups ${list}, which set different ${BRANCH}`, {
    ...inv.hostWhere(host),
    hint: `keep the device in one stage group (fleetplay inventory move ${host} --to GROUP), or set ${BRANCH} in host_vars/${host}.yml`,
  });
}
