/**
 * `fleetplay init` with the built CLI in temp directories: what it writes (a repository every
 * fleetplay command can read), what it refuses to overwrite, and --force.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, formatError } from '../../src/errors/index.js';
import { fleetFiles } from '../../src/init/scaffold.js';
import { loadInventory } from '../../src/inventory/index.js';
import { loadStageList } from '../../src/stage/index.js';
import { ensureBuilt, fleetplayCli, ROOT } from '../stage/helpers.js';

let tmp: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetplay-init-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const init = (...args: string[]) => fleetplayCli(tmp, ['init', ...args], {});
const filesIn = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

test('a directory outside the working directory is named absolute in the next steps (no cd ../..)', async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'fleetplay-init-out-'));
  try {
    const r = await init(join(elsewhere, 'fleet'));
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toContain(`  1. cd ${join(elsewhere, 'fleet')} && npm install `);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('writes a fleet repository into a new directory, lists the files and the next three steps', async () => {
  const r = await init('my-fleet');
  expect(r.code).toBe(ExitCode.ok);
  const dir = join(tmp, 'my-fleet');
  const written = filesIn(dir);
  expect(written).toEqual(
    [
      '.github/workflows/monitor-fleet.yml',
      '.github/workflows/plan-preview.yml',
      '.github/workflows/promotion-gate.yml',
      '.github/workflows/update-fleet.yml',
      '.gitignore',
      'README.md',
      'fleetplay.yml',
      'inventory/group_vars/all.yml',
      'inventory/group_vars/canary.yml',
      'inventory/group_vars/production.yml',
      'inventory/group_vars/qualification.yml',
      'inventory/host_vars/kiosk-lab.yml',
      'inventory/hosts.yml',
      'package.json',
    ].sort(),
  );
  for (const f of written) expect(r.stdout).toContain(`\n  ${f}\n`);
  expect(r.stdout).toMatch(/\nNext steps:\n {2}1\. cd my-fleet && npm install .*\n {2}2\. .*\n.*\n {2}3\. .*\n/);
  // The workflows are the package's own, unchanged.
  for (const f of readdirSync(join(ROOT, 'workflows')))
    expect(readFileSync(join(dir, '.github/workflows', f), 'utf8')).toBe(
      readFileSync(join(ROOT, 'workflows', f), 'utf8'),
    );
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const self = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(pkg).toMatchObject({ name: 'my-fleet', private: true, devDependencies: { fleetplay: `^${self.version}` } });
  expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^node_modules\/$/m);
});

test('what it writes loads: the stages, and an inventory of readable names with ids, images per type and branches', async () => {
  expect((await init()).code).toBe(ExitCode.ok);
  const stages = loadStageList(tmp);
  if (!stages.ok) throw new Error(stages.error.map(formatError).join('\n'));
  expect(stages.value.names).toEqual(['main', 'canary', 'production']);
  const inv = loadInventory([join(tmp, 'inventory')]);
  if (!inv.ok) throw new Error(inv.error.map(formatError).join('\n'));
  const rows = inv.value.hosts.map((h) => {
    const v = inv.value.hostVars(h);
    return [
      h,
      inv.value.deviceId(h),
      v.subscribed_branch,
      (v.os_image as Record<string, string>)[String(v.device_type)],
    ];
  });
  expect(rows).toEqual([
    ['kiosk-lab', '00000000-0000-4000-8000-000000000001', 'main', 'fleet-os-1.0.0-raspberrypi4'],
    ['kiosk-lobby', '00000000-0000-4000-8000-000000000002', 'canary', 'fleet-os-1.0.0-raspberrypi4'],
    ['kiosk-entrance', '00000000-0000-4000-8000-000000000003', 'production', 'fleet-os-1.0.0-raspberrypi4'],
  ]);
  // Every subscribed branch is a stage.
  for (const [, , branch] of rows) expect(stages.value.has(String(branch))).toBe(true);
});

test("the operator's README covers each task", () => {
  const readme = fleetFiles('x').find((f) => f.path === 'README.md')!.text;
  for (const h of ['Add a device', 'Move a device between stages', 'Release an OS image', 'Promote', 'Roll back'])
    expect(readme).toMatch(new RegExp(`^## ${h}$`, 'm'));
});

test('refuses a directory that has some of its files, naming each and --force; writes nothing', async () => {
  mkdirSync(join(tmp, 'inventory'));
  writeFileSync(join(tmp, 'inventory/hosts.yml'), 'all: {hosts: {my-device: }}\n');
  writeFileSync(join(tmp, 'README.md'), '# ours\n');
  writeFileSync(join(tmp, 'LICENSE'), 'ours too\n');
  const r = await init();
  expect(r.code).toBe(ExitCode.usage);
  expect(r.out).toContain(`ERROR! ${tmp}: already has 2 of the files fleetplay init writes\n`);
  expect(r.out).toContain(
    'hint: inventory/hosts.yml, README.md would be overwritten: run fleetplay init --force to replace them',
  );
  expect(filesIn(tmp)).toEqual(['LICENSE', 'README.md', 'inventory/hosts.yml']);
  expect(readFileSync(join(tmp, 'README.md'), 'utf8')).toBe('# ours\n');
});

test('--force replaces them; files it does not write stay', async () => {
  writeFileSync(join(tmp, 'README.md'), '# ours\n');
  writeFileSync(join(tmp, 'LICENSE'), 'ours too\n');
  const r = await init('--force');
  expect(r.code).toBe(ExitCode.ok);
  expect(readFileSync(join(tmp, 'README.md'), 'utf8')).toMatch(/^# Fleet repository\n/);
  expect(readFileSync(join(tmp, 'LICENSE'), 'utf8')).toBe('ours too\n');
  expect(existsSync(join(tmp, 'fleetplay.yml'))).toBe(true);
  // In the current directory: no `cd` in the first step.
  expect(r.stdout).toContain('\n  1. npm install ');
});
