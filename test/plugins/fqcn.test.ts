/** One FQCN resolver: modules, filters, tests and lookups accept the same collection names ansible does. */
import '../../src/modules/builtin/index.js';
import { getModule } from '../../src/modules/registry.js';
import { shortName } from '../../src/plugins/fqcn.js';
import { Templar } from '../../src/template/index.js';

describe('FQCN resolution', () => {
  it('gives the short name for the collections fleetplay implements, per plugin kind', () => {
    expect(shortName('ansible.builtin.uri', 'module')).toBe('uri');
    expect(shortName('ansible.legacy.debug', 'module')).toBe('debug');
    // community.general modules are not ansible-core's: a module there is not the builtin one.
    expect(shortName('community.general.debug', 'module')).toBe('community.general.debug');
    expect(shortName('ansible.builtin.a.b', 'module')).toBe('ansible.builtin.a.b');
    expect(shortName('community.general.json_query', 'filter')).toBe('json_query');
    expect(shortName('ansible.utils.ipaddr', 'filter')).toBe('ipaddr');
    expect(shortName('ansible.builtin.env', 'lookup')).toBe('env');
    expect(shortName('custom.ns.thing', 'test')).toBe('custom.ns.thing');
  });

  it('resolves qualified module names to the registered definition', () => {
    const debug = getModule('debug');
    expect(debug).toBeDefined();
    expect(getModule('ansible.builtin.debug')).toBe(debug);
    expect(getModule('ansible.legacy.debug')).toBe(debug);
    expect(getModule('community.general.debug')).toBeUndefined();
  });

  it('resolves qualified filter, test and lookup names in templates', () => {
    process.env.FQCN_PROBE = 'fqcn';
    const templar = new Templar();
    const vars = { d: { b: 1, a: [2] }, n: 3 };
    expect(templar.template('{{ d | ansible.builtin.to_json }}', vars)).toBe('{"b": 1, "a": [2]}');
    expect(templar.template('{{ d | community.general.json_query("a[0]") }}', vars)).toBe('2');
    expect(templar.template('{{ n is ansible.builtin.number }}', vars)).toBe(true);
    expect(templar.template("{{ lookup('ansible.builtin.env', 'FQCN_PROBE') }}", vars)).toBe('fqcn');
  });
});
