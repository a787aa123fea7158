import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { applyPatch } from 'diff';
import { inventoryCommand } from '../../src/inventory/command.js';
import { id, tree } from './helpers.js';

const SAMPLE = resolve('inventory');
const KIOSK_CENTRAL = 'kiosk-central-station'; // ③
const KIOSK_CENTRAL_ID = '20b41a8a-ef2d-4afd-9587-2aad65b28605';
const PROTOTYPE = 'prototype-desk'; // ⑤

/** Runs `fleetplay inventory ARGS` in-process and captures what it prints. */
async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const res = { out: '', err: '', code: 0 };
  const program = new Command('fleetplay').exitOverride();
  inventoryCommand({ out: (t) => (res.out += t + '\n'), err: (t) => (res.err += t + '\n'), exit: (c) => (res.code = c) })(program);
  await program.parseAsync(['node', 'fleetplay', 'inventory', ...args]);
  return res;
}

/** A copy of the sample fleet to edit. */
function sampleCopy(): { dir: string; hosts: string } {
  const dir = tree({});
  cpSync(SAMPLE, join(dir, 'inventory'), { recursive: true });
  return { dir, hosts: join(dir, 'inventory', 'hosts.yml') };
}

/** Every file under dir, byte for byte: a dry run must leave all of them (and no new one) alone. */
function snapshot(dir: string): Record<string, Buffer> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(files.map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name))]));
}

/** The +/- lines of a unified diff (headers left out). */
const changedLines = (diff: string) => diff.split('\n').filter((l) => /^[-+](?![-+]{2} [ab]\/)/.test(l));

const without = (text: string, needle: string) => text.split('\n').filter((l) => !l.includes(needle));

describe('fleetplay inventory move', () => {
  it('changes only the moved device line, keeping its comment (round trip)', async () => {
    const { dir, hosts } = sampleCopy();
    const before = readFileSync(hosts, 'utf8');
    const r = await run('-i', join(dir, 'inventory'), 'move', KIOSK_CENTRAL, '--to', 'canary');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`moved ${KIOSK_CENTRAL} from "production" to "canary"`);
    const after = readFileSync(hosts, 'utf8');
    expect(without(after, KIOSK_CENTRAL)).toEqual(without(before, KIOSK_CENTRAL));
    const moved = `        ${KIOSK_CENTRAL}:  # ③ Raspberry Pi 3: kiosk at the central station`;
    expect(after.split('\n').filter((l) => l === moved)).toHaveLength(1);
    expect(after.indexOf(moved)).toBeGreaterThan(after.indexOf('    canary:'));
    expect(after.indexOf(moved)).toBeLessThan(after.indexOf('    qualification:'));
    const list = JSON.parse((await run('-i', join(dir, 'inventory'), 'list', '--json')).out) as { hosts: { host: string; device_id: string; subscribed_branch: string }[] };
    expect(list.hosts.find((h) => h.host === KIOSK_CENTRAL)).toMatchObject({ device_id: KIOSK_CENTRAL_ID, subscribed_branch: 'canary' });
  });

  it('--dry-run prints a unified diff and writes nothing', async () => {
    const { dir, hosts } = sampleCopy();
    const before = readFileSync(hosts, 'utf8');
    const r = await run('-i', join(dir, 'inventory'), 'move', PROTOTYPE, '--to', 'qualification', '--from', 'prototypes', '--dry-run');
    expect(r.code).toBe(0);
    expect(readFileSync(hosts, 'utf8')).toBe(before);
    const changed = r.out.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      `+        ${PROTOTYPE}:  # ⑤ Variscite VAR-SOM-MX8M-NANO: prototype on a developer's desk`,
      `-        ${PROTOTYPE}:  # ⑤ Variscite VAR-SOM-MX8M-NANO: prototype on a developer's desk`,
    ]);
    expect(r.out).toMatch(/^--- a\/.*inventory\/hosts\.yml\n\+\+\+ b\/.*inventory\/hosts\.yml\n@@ -\d+,\d+ \+\d+,\d+ @@/);
  });

  it('refuses unknown devices and groups, and a device in several groups without --from', async () => {
    const { dir } = sampleCopy();
    const i = join(dir, 'inventory');
    expect(await run('-i', i, 'move', id(99), '--to', 'canary')).toMatchObject({
      code: 1,
      err: `error: device ${id(99)} is not in the inventory\n  hint: check its name or id with \`fleetplay inventory list\`\n`,
    });
    const g = await run('-i', i, 'move', KIOSK_CENTRAL, '--to', 'canry');
    expect(g.code).toBe(1);
    expect(g.err).toContain('error: there is no group "canry"\n  hint: use one of: production, canary, qualification, prototypes,');
    const p = await run('-i', i, 'move', PROTOTYPE, '--to', 'canary');
    expect(p.err).toBe(`error: device ${PROTOTYPE} is in several groups (prototypes, imx8mn_var_som)\n  hint: say which one to move it out of with --from GROUP\n`);
  });

  it('writes nothing when the result would be invalid (two stages with different branches)', async () => {
    const { dir, hosts } = sampleCopy();
    const before = readFileSync(hosts, 'utf8');
    const r = await run('-i', join(dir, 'inventory'), 'move', KIOSK_CENTRAL, '--to', 'canary', '--from', 'raspberrypi3');
    expect(r.code).toBe(1);
    expect(r.err).toContain('the change was not written: it would leave the inventory invalid');
    expect(r.err).toContain(`${hosts}:11:9: device ${KIOSK_CENTRAL} is in groups "canary" (subscribed_branch: canary, from ${dir}/inventory/group_vars/canary.yml) and "production"`);
    expect(readFileSync(hosts, 'utf8')).toBe(before);
  });

  it('carries the vars block and re-indents it into a group written with another indentation', async () => {
    const text = [
      'all:',
      '    children:',
      '        production:   # stage',
      '            hosts:',
      `                ${id(1)}:    # first`,
      '                    device_name: one   # inline',
      '                    labels:',
      '                        - a',
      '',
      `                ${id(2)}:`,
      'canary:',
      '  vars: {subscribed_branch: canary}',
      'empty:',
      'bare:',
      '  vars: {x: 1}',
      '',
    ].join('\n');
    const dir = tree({ 'hosts.yml': text });
    const hosts = join(dir, 'hosts.yml');
    expect((await run('-i', hosts, 'move', id(1), '--to', 'canary')).err).toBe('');
    const after = readFileSync(hosts, 'utf8');
    expect(after).toBe(
      [
        'all:',
        '    children:',
        '        production:   # stage',
        '            hosts:',
        '',
        `                ${id(2)}:`,
        'canary:',
        '  vars: {subscribed_branch: canary}',
        '  hosts:',
        `    ${id(1)}:    # first`,
        '        device_name: one   # inline',
        '        labels:',
        '            - a',
        'empty:',
        'bare:',
        '  vars: {x: 1}',
        '',
      ].join('\n'),
    );
    expect((await run('-i', hosts, 'move', id(2), '--to', 'empty')).err).toBe('');
    expect((await run('-i', hosts, 'add', id(3), '--to', 'bare', '--comment', 'new')).err).toBe('');
    const last = readFileSync(hosts, 'utf8').split('\n').slice(-8);
    expect(last).toEqual(['empty:', '    hosts:', `        ${id(2)}:`, 'bare:', '  vars: {x: 1}', '  hosts:', `    ${id(3)}:  # new`, '']);
  });
});

describe('fleetplay inventory move across files and styles', () => {
  it('moves a device into a group defined in another file of the inventory directory', async () => {
    const dir = tree({
      'inv/a.yml': `production:\n  hosts:\n    ${id(1)}:  # one\n      device_name: one\n    ${id(2)}:\n`,
      'inv/b.yml': `# canary lives here\ncanary:\n  hosts:\n    ${id(3)}:\n`,
    });
    const r = await run('-i', join(dir, 'inv'), 'move', id(1), '--to', 'canary');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`(${join(dir, 'inv/a.yml')}, ${join(dir, 'inv/b.yml')})`);
    expect(readFileSync(join(dir, 'inv/a.yml'), 'utf8')).toBe(`production:\n  hosts:\n    ${id(2)}:\n`);
    expect(readFileSync(join(dir, 'inv/b.yml'), 'utf8')).toBe(`# canary lives here\ncanary:\n  hosts:\n    ${id(3)}:\n    ${id(1)}:  # one\n      device_name: one\n`);
  });

  it('moves a device listed directly under all: with --from all', async () => {
    const dir = tree({ 'hosts.yml': `all:\n  hosts:\n    ${id(1)}:\n  children:\n    canary:\n` });
    const hosts = join(dir, 'hosts.yml');
    expect((await run('-i', hosts, 'move', id(1), '--to', 'canary')).err).toContain('take it from there with --from all');
    expect((await run('-i', hosts, 'move', id(1), '--to', 'canary', '--from', 'all')).code).toBe(0);
    expect(readFileSync(hosts, 'utf8')).toBe(`all:\n  hosts:\n  children:\n    canary:\n      hosts:\n        ${id(1)}:\n`);
  });

  it('refuses to edit flow-style host maps, and says how to write them', async () => {
    const dir = tree({ 'hosts.yml': `production:\n  hosts: {${id(1)}: , ${id(2)}: }\ncanary:\n  hosts:\n    ${id(3)}:\n` });
    const hosts = join(dir, 'hosts.yml');
    const before = readFileSync(hosts, 'utf8');
    const r = await run('-i', hosts, 'move', id(1), '--to', 'canary');
    expect(r.code).toBe(1);
    expect(r.err).toContain('is written in flow style\n  hint: write `hosts:` in block style (one device per line)');
    expect((await run('-i', hosts, 'move', id(3), '--to', 'production')).err).toContain('hosts of group "production" are written in flow style');
    expect(readFileSync(hosts, 'utf8')).toBe(before);
  });
});

describe('fleetplay inventory add / remove', () => {
  it('adds a device with a comment and removes it again, restoring the file byte for byte', async () => {
    const { dir, hosts } = sampleCopy();
    const i = join(dir, 'inventory');
    const before = readFileSync(hosts, 'utf8');
    expect(await run('-i', i, 'add', id(8), '--to', 'prototypes', '--comment', '⑧ new board')).toMatchObject({ code: 0 });
    expect(readFileSync(hosts, 'utf8')).toContain(`        ${id(8)}:  # ⑧ new board\n`);
    expect(await run('-i', i, 'remove', id(8))).toMatchObject({ code: 0, out: `removed ${id(8)} from the inventory (${hosts})\n` });
    expect(readFileSync(hosts, 'utf8')).toBe(before);
  });

  // The dry run's diff is exactly the edit the real command then makes: applied to the original
  // file it gives the file the real command writes.
  it('add --dry-run prints the diff of the real add and writes nothing', async () => {
    const { dir, hosts } = sampleCopy();
    const i = join(dir, 'inventory');
    const before = snapshot(dir);
    const dry = await run('-i', i, 'add', id(8), '--to', 'canary', '--comment', '⑧ new board', '--dry-run');
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(snapshot(dir)).toEqual(before);
    expect(dry.out).toMatch(/^--- a\/.*inventory\/hosts\.yml\n\+\+\+ b\/.*inventory\/hosts\.yml\n@@ /);
    expect(changedLines(dry.out)).toEqual([`+        ${id(8)}:  # ⑧ new board`]);
    expect(await run('-i', i, 'add', id(8), '--to', 'canary', '--comment', '⑧ new board')).toMatchObject({ code: 0 });
    expect(applyPatch(before[hosts].toString('utf8'), dry.out)).toBe(readFileSync(hosts, 'utf8'));
  });

  it('remove --dry-run prints the diff of the real remove (every group of the device) and writes nothing', async () => {
    const { dir, hosts } = sampleCopy();
    const i = join(dir, 'inventory');
    const before = snapshot(dir);
    const dry = await run('-i', i, 'remove', PROTOTYPE, '--dry-run');
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(snapshot(dir)).toEqual(before);
    expect(changedLines(dry.out)).toEqual([
      `-        ${PROTOTYPE}:  # ⑤ Variscite VAR-SOM-MX8M-NANO: prototype on a developer's desk`,
      `-        ${PROTOTYPE}:  # ⑤`,
    ]);
    expect(await run('-i', i, 'remove', PROTOTYPE)).toMatchObject({ code: 0, out: `removed ${PROTOTYPE} from the inventory (${hosts})\n` });
    expect(applyPatch(before[hosts].toString('utf8'), dry.out)).toBe(readFileSync(hosts, 'utf8'));
  });

  it('--dry-run of a refused edit reports the error, prints no diff and writes nothing', async () => {
    const { dir } = sampleCopy();
    const before = snapshot(dir);
    const r = await run('-i', join(dir, 'inventory'), 'remove', id(99), '--dry-run');
    expect(r).toEqual({ code: 1, out: '', err: `error: device ${id(99)} is not in the inventory\n  hint: check its name or id with \`fleetplay inventory list\`\n` });
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a new readable name without --device-id, and says how to give it', async () => {
    const { dir } = sampleCopy();
    const r = await run('-i', join(dir, 'inventory'), 'add', 'kiosk-4', '--to', 'canary');
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'error: "kiosk-4" is not a device id\n  hint: give its id: `fleetplay inventory add kiosk-4 --to GROUP --device-id <id from the Mender UI>`\n',
    });
  });

  it('removes a device from one group only with --from', async () => {
    const { dir, hosts } = sampleCopy();
    await run('-i', join(dir, 'inventory'), 'remove', KIOSK_CENTRAL, '--from', 'raspberrypi3');
    expect(readFileSync(hosts, 'utf8').split('\n').filter((l) => l.includes(KIOSK_CENTRAL))).toEqual([
      `        ${KIOSK_CENTRAL}:  # ③ Raspberry Pi 3: kiosk at the central station`,
    ]);
  });
});

describe('fleetplay inventory by readable name', () => {
  it('adds a named device with --device-id, adds it to a second group by its id, moves it by id, removes it by name', async () => {
    const { dir, hosts } = sampleCopy();
    const i = join(dir, 'inventory');
    const before = readFileSync(hosts, 'utf8');
    const added = await run('-i', i, 'add', 'kiosk-lobby', '--to', 'canary', '--device-id', id(8), '--comment', '⑧ Raspberry Pi 4: lobby');
    expect(added).toMatchObject({ code: 0, err: '', out: `added kiosk-lobby to "canary" (${hosts})\n` });
    const text = readFileSync(hosts, 'utf8');
    expect(text).toContain(`        kiosk-lobby:  # ⑧ Raspberry Pi 4: lobby\n          mender_device_id: ${id(8)}\n`);
    const byId = await run('-i', i, 'add', id(8), '--to', 'raspberrypi4');
    expect(byId).toMatchObject({ code: 0, err: `note: ${id(8)} is the mender_device_id of "kiosk-lobby": using that host\n` });
    expect(byId.out).toBe(`added kiosk-lobby to "raspberrypi4" (${hosts})\n`);
    const moved = await run('-i', i, 'move', id(8), '--to', 'production', '--from', 'canary');
    expect(moved).toMatchObject({ code: 0, out: `moved kiosk-lobby from "canary" to "production" (${hosts})\n` });
    expect(moved.err).toContain('using that host');
    const list = JSON.parse((await run('-i', i, 'list', '--json')).out) as { hosts: { host: string; device_id: string; groups: string[] }[] };
    expect(list.hosts.find((h) => h.host === 'kiosk-lobby')).toMatchObject({ device_id: id(8), groups: ['production', 'raspberrypi4'] });
    expect(await run('-i', i, 'remove', 'kiosk-lobby')).toMatchObject({ code: 0, err: '', out: `removed kiosk-lobby from the inventory (${hosts})\n` });
    expect(readFileSync(hosts, 'utf8')).toBe(before);
  });

  it('moves and shows a sample device given by its id, saying which host that is', async () => {
    const { dir, hosts } = sampleCopy();
    const r = await run('-i', join(dir, 'inventory'), 'move', KIOSK_CENTRAL_ID, '--to', 'canary', '--from', 'production');
    expect(r).toEqual({
      code: 0,
      out: `moved ${KIOSK_CENTRAL} from "production" to "canary" (${hosts})\n`,
      err: `note: ${KIOSK_CENTRAL_ID} is the mender_device_id of "${KIOSK_CENTRAL}": using that host\n`,
    });
    const shown = await run('-i', join(dir, 'inventory'), 'show', KIOSK_CENTRAL_ID, '--json');
    expect(JSON.parse(shown.out)).toMatchObject({ host: KIOSK_CENTRAL, device_id: KIOSK_CENTRAL_ID, groups: ['canary', 'raspberrypi3'] });
  });

  it('refuses a second name for a device, a bad --device-id, and --device-id on an id, writing nothing', async () => {
    const { dir } = sampleCopy();
    const i = join(dir, 'inventory');
    const before = snapshot(dir);
    const twice = await run('-i', i, 'add', 'kiosk-again', '--to', 'canary', '--device-id', KIOSK_CENTRAL_ID);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('the change was not written: it would leave the inventory invalid');
    expect(twice.err).toContain(`"${KIOSK_CENTRAL}" (`);
    expect(twice.err).toContain(`and "kiosk-again" are the same device ${KIOSK_CENTRAL_ID}`);
    expect(await run('-i', i, 'add', 'kiosk-x', '--to', 'canary', '--device-id', 'not-an-id')).toMatchObject({
      code: 1,
      err: 'error: --device-id not-an-id is not a device id\n  hint: copy the device id from the Mender UI: a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70 (quoted if YAML could read it as a number)\n',
    });
    expect((await run('-i', i, 'add', id(9), '--to', 'canary', '--device-id', id(9))).err).toContain(`${id(9)} is a device id: it needs no --device-id`);
    expect((await run('-i', i, 'add', KIOSK_CENTRAL, '--to', 'canary', '--device-id', id(9))).err).toContain(
      `${KIOSK_CENTRAL} is already in the inventory as device ${KIOSK_CENTRAL_ID}, not ${id(9)}`,
    );
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('fleetplay inventory list / show / graph', () => {
  it('lists devices with name, branch and groups', async () => {
    const r = await run('-i', SAMPLE, 'list');
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^HOST\s+DEVICE ID\s+BRANCH\s+GROUPS$/);
    expect(lines).toHaveLength(8);
    expect(lines.find((l) => l.startsWith('kiosk-next '))).toMatch(/^kiosk-next\s+854df144-28aa-4e50-9225-ca5d348354b7\s+main\s+qualification, raspberrypi4$/);
    expect(lines.find((l) => l.startsWith(PROTOTYPE))).toMatch(/1f452a5b-f08d-4506-9568-b6848e418487\s+production \(default\)\s+imx8mn_var_som, prototypes$/);
  });

  it('shows merged vars with the file each came from', async () => {
    const r = await run('-i', SAMPLE, 'show', KIOSK_CENTRAL, '--json');
    const shown = JSON.parse(r.out) as { groups: string[]; vars: Record<string, { value: unknown; source: string }> };
    expect(shown.groups).toEqual(['production', 'raspberrypi3']);
    expect(shown.vars.subscribed_branch).toEqual({ value: 'production', source: 'inventory/group_vars/production.yml' });
    expect(shown.vars.device_type).toEqual({ value: 'raspberrypi3', source: 'inventory/hosts.yml (group raspberrypi3)' });
    expect(shown.vars.kiosk_url?.source).toBe(`inventory/host_vars/${KIOSK_CENTRAL}.yml`);
    expect(shown).toMatchObject({ host: KIOSK_CENTRAL, device_id: KIOSK_CENTRAL_ID });
    const text = await run('-i', SAMPLE, 'show', KIOSK_CENTRAL);
    expect(text.out.split('\n')[0]).toBe(`# ${KIOSK_CENTRAL} (device ${KIOSK_CENTRAL_ID}) in groups: production, raspberrypi3`);
    expect(text.out).toContain('kiosk_enabled: true');
    expect(text.out).toMatch(/subscribed_branch: production\s+# inventory\/group_vars\/production\.yml/);
  });

  it('masks values of secret-looking variables', async () => {
    const dir = tree({ 'hosts.yml': `all:\n  hosts:\n    ${id(1)}:\n      influxdb_token: s3cr3t-value\n` });
    const r = await run('-i', join(dir, 'hosts.yml'), 'show', id(1));
    expect(r.out).toContain('influxdb_token: ********');
    expect(r.out).not.toContain('s3cr3t-value');
  });

  it('draws the graph that ansible-inventory --graph draws', async () => {
    const fixture = JSON.parse(readFileSync('test/fixtures/inventory/cases/30-sample-fleet/expected.json', 'utf8')) as { graph: string };
    expect((await run('-i', SAMPLE, 'graph')).out).toBe(fixture.graph + '\n');
  });

  // With --json nothing is printed on stdout on error, so a script's JSON parse never sees half a document.
  it('show --json of an unknown device: exit 1, empty stdout, the error with a hint on stderr', async () => {
    const r = await run('-i', SAMPLE, 'show', id(99), '--json');
    expect(r).toEqual({ code: 1, out: '', err: `error: device ${id(99)} is not in the inventory\n  hint: check its name or id with \`fleetplay inventory list\`\n` });
  });

  it('list --json of an invalid inventory: exit 1, empty stdout, file:line:column on stderr', async () => {
    const dir = tree({ 'hosts.yml': `all:\n  children:\n    canary:\n      hosts:\n        ${id(1)}:\n        ${id(1)}:\n` });
    const r = await run('-i', join(dir, 'hosts.yml'), 'list', '--json');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: .*hosts\.yml:6:9: /);
  });

  it('reports load errors with file, line and column and exits 1', async () => {
    const dir = tree({ 'hosts.yml': 'all:\n  childern:\n    x:\n' });
    const r = await run('-i', join(dir, 'hosts.yml'), 'list');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*hosts\.yml:2:3: unknown key `childern` in group "all"\n {2}hint: /);
  });
});
