import { join } from 'node:path';
import { formatError } from '../../src/errors/index.js';
import { loadInventory } from '../../src/inventory/index.js';
import { badCases } from './bad-cases.js';
import { tree } from './helpers.js';

/** Every bad inventory fails with a message naming file, line, column and what to write instead. */
describe.each(badCases)('bad inventory: $name', ({ files, sources, expected }) => {
  it('is refused with the expected message', () => {
    const dir = tree(files);
    const r = loadInventory((sources ?? ['hosts.yml']).map((s) => join(dir, s)));
    const got = r.ok ? ['(loaded without error)'] : r.error.map((e) => formatError(e).split(dir + '/').join(''));
    expect(got).toEqual(expected);
  });
});
