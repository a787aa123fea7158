import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { id, tree } from './helpers.js';

const inventory = `all:
  vars: {a: all-file, b: all-file}
  children:
    production:
      vars: {subscribed_branch: production, a: production-file}
      hosts:
        ${id(1)}:   # ① legacy Pi 2
          device_name: legacy
        ${id(2)}:
    kiosks:
      hosts:
        ${id(2)}:
`;

describe('loadInventory', () => {
  const dir = tree({
    'inv/hosts.yml': inventory,
    'inv/group_vars/all.yml': 'b: group_vars-all\nc: group_vars-all\n',
    'inv/group_vars/kiosks/10-kiosk.yml': 'kiosk_enabled: true\n',
    [`inv/host_vars/${id(1)}.yml`]: 'device_name: legacy-pi\n',
    'play/group_vars/all.yml': 'c: playbook-all\n',
  });

  it('merges layers in ansible order and names their sources', () => {
    const r = loadInventory([join(dir, 'inv')], { playbookDir: join(dir, 'play') });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const inv = r.value;
    expect(inv.hosts).toEqual([id(1), id(2)]);
    expect(inv.hostVars(id(1))).toEqual({ a: 'production-file', b: 'group_vars-all', c: 'playbook-all', subscribed_branch: 'production', device_name: 'legacy-pi' });
    expect(inv.hostVars(id(2))).toEqual({ a: 'production-file', b: 'group_vars-all', c: 'playbook-all', subscribed_branch: 'production', kiosk_enabled: true });
    expect(inv.hostLayers(id(1)).map((l) => l.source.replace(dir, ''))).toEqual([
      '/inv/hosts.yml (group all)',
      '/inv/hosts.yml (group production)',
      '/inv/group_vars/all.yml',
      '/play/group_vars/all.yml',
      '/inv/hosts.yml (host)',
      `/inv/host_vars/${id(1)}.yml`,
    ]);
    expect(inv.groupNames(id(2))).toEqual(['kiosks', 'production']);
    expect(inv.groupsVar().production).toEqual([id(1), id(2)]);
    expect(inv.groups.get('all')?.children).toEqual(['ungrouped', 'production', 'kiosks']);
    expect(inv.hostWhere(id(1))).toEqual({ file: join(dir, 'inv/hosts.yml'), line: 7, column: 9 });
  });

  it('shares layer objects between hosts instead of copying them', () => {
    const r = loadInventory([join(dir, 'inv', 'hosts.yml')]);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.hostLayers(id(1))[0]).toBe(r.value.hostLayers(id(2))[0]);
  });

  it('warns about host_vars of a device that is not in the inventory', () => {
    const d = tree({ 'hosts.yml': `all:\n  hosts:\n    ${id(1)}:\n`, [`host_vars/${id(9)}.yml`]: 'x: 1\n' });
    const r = loadInventory([join(d, 'hosts.yml')]);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.warnings.map((w) => w.message)).toEqual([`host_vars for "${id(9)}", which is not in the inventory`]);
  });
});
