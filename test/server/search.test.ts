/** Inventory search over a generated fleet: index answers, residual filters, paging and totals agree with a plain scan. */
import { FleetState } from '../../src/server/state.js';
import { matches, search, SearchParamsSchema, type SearchParams } from '../../src/server/search.js';
import { attributeValue } from '../../src/server/attr-index.js';
import { generatedDeviceId } from '../../src/server/spec.js';

const state = new FleetState();
state.apply({
  t: 'init',
  jwtSecret: 'x',
  start: 0,
  spec: {
    generate: {
      count: 300,
      device_types: ['rpi3', 'rpi4', 'imx8'],
      groups: ['production', 'canary', 'lab', 'spare'],
      artifact_name: 'os-1',
    },
  },
});
// Some devices report a branch, some run another image.
for (let i = 1; i <= 300; i += 7)
  state.apply({
    t: 'device.admin',
    id: generatedDeviceId(i),
    attributes: { subscribed_branch: i % 2 ? 'canary' : 'main', artifact_name: 'os-2' },
    ts: 1,
  });

/** The same query answered the slow obvious way. */
function naive(p: SearchParams): string[] {
  const all = [...state.devices.values()].filter(
    (d) =>
      (!p.device_ids || p.device_ids.includes(d.id)) &&
      p.filters.every((f) =>
        matches(
          attributeValue(d, f.scope, f.attribute, () => 0),
          f,
        ),
      ),
  );
  return all.map((d) => d.id);
}

const queries: unknown[] = [
  { filters: [{ scope: 'inventory', attribute: 'device_type', type: '$eq', value: 'rpi4' }] },
  {
    filters: [
      { scope: 'system', attribute: 'group', type: '$in', value: ['canary', 'lab'] },
      { scope: 'inventory', attribute: 'device_type', type: '$ne', value: 'imx8' },
    ],
  },
  {
    filters: [
      { scope: 'inventory', attribute: 'subscribed_branch', type: '$exists', value: true },
      { scope: 'inventory', attribute: 'artifact_name', type: '$eq', value: 'os-2' },
    ],
  },
  { filters: [{ scope: 'inventory', attribute: 'subscribed_branch', type: '$nin', value: ['main'] }] },
  {
    device_ids: [generatedDeviceId(5), generatedDeviceId(8), generatedDeviceId(2), 'nope'],
    filters: [{ scope: 'system', attribute: 'group', type: '$ne', value: 'spare' }],
  },
  {
    filters: [
      { scope: 'inventory', attribute: 'device_type', type: '$regex', value: '^rpi' },
      { scope: 'identity', attribute: 'status', type: '$eq', value: 'accepted' },
    ],
  },
];

describe('inventory search', () => {
  test.each(queries.map((q, i) => [i, q]))('query %i: every page and the total match a plain scan', (_i, q) => {
    const expected = naive(SearchParamsSchema.parse(q));
    expect(expected.length).toBeGreaterThan(0);
    for (const perPage of [7, 500]) {
      const got: string[] = [];
      for (let page = 1; page <= Math.ceil(expected.length / perPage) + 1; page++) {
        const r = search(state, 0, SearchParamsSchema.parse({ ...(q as object), page, per_page: perPage }));
        expect(r.total).toBe(expected.length);
        got.push(...r.page.map((d) => d.id));
      }
      expect(got).toEqual(expected);
    }
  });

  test('sort by several attributes, missing values last', () => {
    const r = search(
      state,
      0,
      SearchParamsSchema.parse({
        per_page: 500,
        sort: [
          { scope: 'inventory', attribute: 'subscribed_branch', order: 'asc' },
          { scope: 'inventory', attribute: 'device_type', order: 'desc' },
        ],
      }),
    );
    const key = (id: string) => {
      const d = state.devices.get(id)!;
      return `${String(d.inventory.subscribed_branch ?? '~')}|${String(d.inventory.device_type)}`;
    };
    const keys = r.page.map((d) => key(d.id));
    const branches = keys.map((k) => k.split('|')[0]);
    expect(branches.indexOf('~')).toBeGreaterThan(branches.lastIndexOf('main'));
    expect(branches.lastIndexOf('canary')).toBeLessThan(branches.indexOf('main'));
    const firstRun = keys.filter((k) => k.startsWith('canary|')).map((k) => k.split('|')[1]);
    expect(firstRun).toEqual([...firstRun].sort().reverse());
    expect(r.total).toBe(300);
  });
});
