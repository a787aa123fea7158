/**
 * What an edit of the inventory does to the stages, device by device: which devices now follow
 * another branch (from → to), which were added and which removed. Devices are matched by their
 * Mender device id, so renaming a host is not an add and a remove. Pure.
 */
import { z } from 'zod';
import type { Inventory } from '../inventory/index.js';

export const StageMove = z.object({ host: z.string(), device_id: z.string(), from: z.string(), to: z.string() });
export type StageMove = z.infer<typeof StageMove>;

export const InventoryDevice = z.object({ host: z.string(), device_id: z.string(), stage: z.string() });
export type InventoryDevice = z.infer<typeof InventoryDevice>;

export const InventoryChanges = z.object({
  moved: z.array(StageMove),
  added: z.array(InventoryDevice),
  removed: z.array(InventoryDevice),
});
export type InventoryChanges = z.infer<typeof InventoryChanges>;

/** Said when no `subscribed_branch` applies: the device's own attribute decides at run time. */
export const NO_STAGE = '(its own attribute)';

const CONTROLLER = new Set(['localhost', '127.0.0.1']);

/** Device id → the device as the inventory places it; the stage is its `subscribed_branch`. */
function devices(inv: Inventory): Map<string, InventoryDevice> {
  const out = new Map<string, InventoryDevice>();
  for (const host of inv.hosts) {
    if (CONTROLLER.has(host)) continue;
    const branch = inv.hostVars(host).subscribed_branch;
    const stage = typeof branch === 'string' && branch !== '' ? branch : NO_STAGE;
    out.set(inv.deviceId(host), { host, device_id: inv.deviceId(host), stage });
  }
  return out;
}

/** The inventory of the base branch against the merged tree's; in the merged tree's order. */
export function inventoryChanges(base: Inventory, head: Inventory): InventoryChanges {
  const before = devices(base);
  const after = devices(head);
  const moved: StageMove[] = [];
  const added: InventoryDevice[] = [];
  for (const [id, d] of after) {
    const was = before.get(id);
    if (!was) added.push(d);
    else if (was.stage !== d.stage) moved.push({ host: d.host, device_id: id, from: was.stage, to: d.stage });
  }
  const removed = [...before.values()].filter((d) => !after.has(d.device_id));
  return { moved, added, removed };
}

export const noInventoryChanges = (c: InventoryChanges): boolean =>
  c.moved.length + c.added.length + c.removed.length === 0;
