/** The closing table: one line per device, in plain aligned columns. */
import type { Narrator, Tone } from './narrate.js';
import type { DeviceState } from './state.js';

const toneOf = (status: string): Tone =>
  status === 'converged' ? 'green' : status === 'failed' || status === 'drift' ? 'red' : 'yellow';

export function stateRows(states: DeviceState[]): string[][] {
  return states.map((s) => [`${s.device.mark} ${s.device.name}`, s.branch, s.device.deviceType, s.installed, s.status]);
}

export function printTable(n: Narrator, states: DeviceState[]): void {
  const header = ['device', 'branch', 'device type', 'installed image', 'status'];
  const rows = stateRows(states);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < cells.length - 1 ? c + ' '.repeat(widths[i] - [...c].length) : c)).join('  ');
  n.say(n.paint(line(header), 'bold'));
  rows.forEach((r, i) => {
    const text = line(r.slice(0, -1).concat(''));
    n.say(`${text}${n.paint(r[r.length - 1], toneOf(states[i].status))}`);
  });
}
