import type { Inventory } from './types.js';

/** The group tree as `ansible-inventory --graph` draws it (children first, then direct hosts). */
export function graph(inv: Inventory, start = 'all'): string {
  const lines: string[] = [];
  const walk = (name: string, depth: number): void => {
    const g = inv.groups.get(name)!;
    lines.push(indent(`@${name}:`, depth));
    for (const kid of g.children) walk(kid, depth + 1);
    if (name !== 'all') for (const h of g.hosts) lines.push(indent(h, depth + 1));
  };
  walk(start, 0);
  return lines.join('\n');
}

function indent(text: string, depth: number): string {
  return depth === 0 ? text : `${'  |'.repeat(depth)}--${text}`;
}
