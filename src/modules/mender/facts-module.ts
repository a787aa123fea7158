/**
 * mender_facts: facts from the Mender server for every host of the task, in bulk. Sets the
 * `mender` fact (device type, installed image, subscription, check-in, deployments in flight,
 * configuration). A device the server does not know (or has not accepted) is unreachable; the others go on.
 */
import { z } from 'zod';
import type { MenderClient } from '../../ota/client.js';
import { deviceIdOf, onEachServer, failAll, unreachableDevice, type Item, type Result_ } from './common.js';
import { gatherFacts } from './gather.js';
import { isGathered, markGathered, type MenderFacts } from './facts.js';

export const FactsArgs = z.strictObject({
  /** Also read each device's configuration (one request per device: the API has no bulk read). */
  config: z.boolean().default(true),
  /**
   * false: keep the inventory attributes an earlier mender_facts of this run read (one search
   * per 500 devices saved); deployments in flight and configurations are read again regardless.
   */
  refresh: z.boolean().default(true),
  device_id: z.string().min(1).optional(),
});
export type FactsArgs = z.infer<typeof FactsArgs>;

async function factsOn(client: MenderClient, items: Item<FactsArgs>[]): Promise<Map<string, Result_>> {
  const ids = [...new Set(items.map(deviceIdOf))];
  const g = await gatherFacts(client, ids, { config: items.some((i) => i.args.config), known: earlier(items) });
  if (!g.ok) return failAll(items, g.error);
  const out = new Map<string, Result_>();
  for (const i of items) {
    const f = g.value.facts.get(deviceIdOf(i));
    const unreachable = unreachableDevice(deviceIdOf(i), f, client);
    if (unreachable || !f) out.set(i.host, unreachable!);
    else
      out.set(i.host, {
        changed: false,
        ansible_facts: { mender: i.args.config ? f : markGathered(Object.assign({}, f, { config: undefined })) },
      });
  }
  return out;
}

export const menderFactsBatch = onEachServer(factsOn);

/** The `mender` facts this run already gathered for hosts that do not ask for a refresh. */
function earlier(items: Item<FactsArgs>[]): Map<string, MenderFacts> | undefined {
  const known = new Map<string, MenderFacts>();
  for (const i of items) {
    const f = i.ctx.vars.mender;
    if (!i.args.refresh && isGathered(f) && f.id === deviceIdOf(i)) known.set(f.id, f);
  }
  return known.size ? known : undefined;
}

export const menderFactsModule = {
  name: 'mender_facts',
  aliases: ['fleetplay.mender.facts'],
  args: FactsArgs,
  checkMode: true,
  facts: () => ['mender'],
  runBatch: (items: Item<FactsArgs>[]) => menderFactsBatch(items),
};
