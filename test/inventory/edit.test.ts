import { resolve } from 'node:path';
import { loadFull } from '../../src/inventory/load.js';
import { planMove } from '../../src/inventory/edit.js';

const SAMPLE = resolve('inventory');
const STAGES = ['production', 'canary', 'qualification', 'prototypes'];

/**
 * Round trip over the whole sample fleet: every device moved to every other stage changes
 * exactly its own line (same text, other place), and the edited inventory loads with the
 * device in its new group and out of the old one.
 */
describe('move: every device to every other stage', () => {
  const loaded = loadFull([SAMPLE]);
  if (!loaded.ok) throw new Error(loaded.error.map((e) => e.message).join('\n'));
  const inv = loaded.value;
  const cases = inv.hosts.flatMap((device) => {
    const from = STAGES.find((s) => inv.groups.get(s)!.hosts.includes(device))!;
    return STAGES.filter((s) => s !== from).map((to) => [device, from, to] as const);
  });

  it.each(cases)('%s from %s to %s', (device, from, to) => {
    const plan = planMove(inv, device, to, from);
    if (!plan.ok) throw new Error(plan.error.message);
    expect(plan.value.edits).toHaveLength(1);
    const { before, after, file } = plan.value.edits[0];
    const others = (text: string) => text.split('\n').filter((l) => !l.includes(device));
    expect(others(after)).toEqual(others(before));
    const mine = (text: string) => text.split('\n').filter((l) => l.includes(device));
    expect(mine(after).sort()).toEqual(mine(before).sort());
    const reloaded = loadFull([SAMPLE], { contents: new Map([[file, after]]) });
    if (!reloaded.ok) throw new Error(reloaded.error.map((e) => e.message).join('\n'));
    expect(reloaded.value.groups.get(to)!.hosts).toContain(device);
    expect(reloaded.value.groups.get(from)!.hosts).not.toContain(device);
    expect(reloaded.value.groupNames(device).filter((g) => STAGES.includes(g))).toEqual([to]);
  });
});
