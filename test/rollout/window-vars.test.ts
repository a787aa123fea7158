/**
 * `window` declared in the inventory: a stage's group_vars, a group's vars in hosts.yml, a host's
 * host_vars — Ansible's precedence gives each device its window; a bad one is refused at load
 * with its file, line and what to write.
 */
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { id, tree } from '../inventory/helpers.js';

const hosts = (windowLine: string) => `all:
  children:
    production:
      hosts:
        ${id(1)}:
        ${id(2)}:
    kiosks:
${windowLine}      hosts:
        ${id(2)}:
        ${id(3)}:
`;

describe('the window variable in the inventory', () => {
  it('each device gets its window by Ansible precedence: host_vars over a group over the stage', () => {
    const dir = tree({
      'inv/hosts.yml': hosts('      vars: {window: "Sat,Sun 00:00-24:00"}\n').replace(
        `${id(3)}:`,
        `${id(3)}:\n        ${id(4)}:`,
      ),
      'inv/group_vars/production.yml': 'window: "Mon-Fri 02:00-05:00 Europe/Zurich"\n',
      [`inv/host_vars/${id(3)}.yml`]: 'window: ["daily 12:00-13:00 America/New_York", "Sun 01:00-02:00"]\n',
    });
    const r = loadInventory([join(dir, 'inv')]);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.hostVars(id(1)).window).toBe('Mon-Fri 02:00-05:00 Europe/Zurich');
    // group_vars/ beats a group's vars in hosts.yml (ansible-inventory 2.14 --host says the same).
    expect(r.value.hostVars(id(2)).window).toBe('Mon-Fri 02:00-05:00 Europe/Zurich');
    expect(r.value.hostVars(id(4)).window).toBe('Sat,Sun 00:00-24:00');
    expect(r.value.hostVars(id(3)).window).toEqual(['daily 12:00-13:00 America/New_York', 'Sun 01:00-02:00']);
  });

  it.each([
    [
      'inv/group_vars/production.yml',
      'subscribed_branch: production\nwindow: "Mon-Fry 02:00-05:00"\n',
      2,
      '"mon-fry" is not a day',
    ],
    [
      `inv/host_vars/${id(1)}.yml`,
      'window:\n  - "daily 01:00-02:00"\n  - "daily 01:00-02:00 Mars/Olympus"\n',
      1,
      'unknown time zone "Mars/Olympus"',
    ],
  ])('refuses a bad window in %s with file, line and what to write', (file, text, line, says) => {
    const dir = tree({ 'inv/hosts.yml': hosts(''), [file]: text });
    const r = loadInventory([join(dir, 'inv')]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      expect.objectContaining({
        code: 'rollout.window',
        file: join(dir, file),
        line,
        message: expect.stringContaining(says),
      }),
    ]);
    expect(r.error[0].hint).toMatch(/^write /);
  });

  it('refuses a bad window in the vars of a group in hosts.yml at its line', () => {
    const dir = tree({ 'inv/hosts.yml': hosts('      vars:\n        window: "Mon-Fri 2:00-5:00pm"\n') });
    const r = loadInventory([join(dir, 'inv')]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual([expect.objectContaining({ file: join(dir, 'inv/hosts.yml'), line: 9 })]);
  });

  it('leaves a templated window to the run', () => {
    const dir = tree({ 'inv/hosts.yml': hosts(''), 'inv/group_vars/all.yml': 'window: "{{ stage_window }}"\n' });
    expect(loadInventory([join(dir, 'inv')]).ok).toBe(true);
  });
});
