import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory, type Inventory } from '../../src/inventory/index.js';
import { graph } from '../../src/inventory/render.js';

/**
 * Differential tests against ansible-core 2.14: each case under test/fixtures/inventory/cases
 * holds an inventory and expected.json, which test/fixtures/inventory/record.mjs wrote by running
 * ansible-inventory / ansible (the commands are in the file).
 */
const casesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/inventory/cases');

interface Case {
  sources: string[];
  playbookDir?: string;
}
interface Expected {
  commands: string[];
  list: Record<string, unknown>;
  graph: string;
  allHosts: string[];
  groupNames: Record<string, string[]>;
  groups: Record<string, string[]>;
  patterns: Record<string, string[]>;
}

/** Our inventory in the shape of `ansible-inventory --list`. */
function asAnsibleList(inv: Inventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const g = inv.groups.get(name)!;
    const entry: Record<string, string[]> = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = g.hosts;
    if (g.children.length) entry.children = g.children;
    if (Object.keys(entry).length) out[name] = entry;
    for (const c of g.children) {
      if (seen.has(c)) continue;
      seen.add(c);
      visit(c);
    }
  };
  visit('all');
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.hosts) {
    const vars = inv.hostVars(h);
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  return { _meta: { hostvars }, ...out };
}

const cases = readdirSync(casesDir).sort();

describe.each(cases)('ansible-core 2.14 case %s', (name) => {
  const dir = join(casesDir, name);
  const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const r = loadInventory(
    spec.sources.map((s) => join(dir, s)),
    { playbookDir: spec.playbookDir && join(dir, spec.playbookDir) },
  );
  const inv = (): Inventory => {
    if (!r.ok) throw new Error(r.error.map((e) => e.message).join('\n'));
    return r.value;
  };

  it('matches ansible-inventory --list (groups, hosts, merged host vars)', () => {
    expect(asAnsibleList(inv())).toEqual(expected.list);
  });
  it('matches ansible-inventory --graph and the order of `all`', () => {
    expect(graph(inv())).toBe(expected.graph);
    expect(inv().hosts).toEqual(expected.allHosts);
  });
  it('matches the magic vars group_names and groups', () => {
    expect(Object.fromEntries(inv().hosts.map((h) => [h, inv().groupNames(h)]))).toEqual(expected.groupNames);
    expect(inv().groupsVar()).toEqual(expected.groups);
  });
  it('matches host patterns', () => {
    const got = Object.fromEntries(
      Object.keys(expected.patterns).map((p) => {
        const m = inv().match(p);
        return [p, m.ok ? m.value : m.error.message];
      }),
    );
    expect(got).toEqual(expected.patterns);
  });
});
