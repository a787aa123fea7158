import type { Command } from 'commander';
import { ExitCode, type FleetError } from '../errors/index.js';
import { diagnostic, isSecretKey, maskSecrets } from '../log/index.js';
import { applyPlan, planAdd, planDiff, planMove, planRemove, resolveHost, type EditPlan } from './edit.js';
import { loadFull } from './load.js';
import { relToCwd, type LoadedInventory } from './model.js';
import { graph } from './render.js';
import type { Result } from '../errors/index.js';

/** Where the command writes; tests pass their own. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

const stdio: CommandIO = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  exit: (c) => {
    process.exitCode = c;
  },
};

interface Common {
  inventory: string[];
  playbookDir?: string;
}

/** Paths under the working directory print relative to it, others absolute. */
const rel = relToCwd;
const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `fleetplay inventory …`: list, show, graph, move, add, remove. */
export function inventoryCommand(io: CommandIO = stdio): (program: Command) => void {
  return (program) => {
    const cmd = program
      .command('inventory')
      .description('read and edit the fleet inventory (Ansible YAML, group_vars/, host_vars/)')
      .option('-i, --inventory <source>', 'inventory file or directory (repeatable; default inventory/)', collect, [])
      .option('--playbook-dir <dir>', "directory whose group_vars/ and host_vars/ rank above the inventory's");
    const load = (c: Command): LoadedInventory | undefined => loadOrReport(io, common(c));

    cmd
      .command('list')
      .description('devices with their name, subscribed branch and groups')
      .option('--json', 'machine-readable output')
      .action((o: { json?: boolean }, c: Command) => {
        const inv = load(c);
        if (inv) io.out(o.json ? JSON.stringify(listJson(inv), null, 2) : listText(inv));
      });
    cmd
      .command('show <device>')
      .description("a device's merged variables, each with the file it came from")
      .option('--json', 'machine-readable output')
      .action((device: string, o: { json?: boolean }, c: Command) => {
        const inv = load(c);
        if (inv) show(io, inv, device, Boolean(o.json));
      });
    cmd
      .command('graph [group]')
      .description('the group tree, like ansible-inventory --graph')
      .action((group: string | undefined, _o: unknown, c: Command) => {
        const inv = load(c);
        if (!inv) return;
        if (group && !inv.groups.has(group)) return report(io, [{ code: 'inventory.unknown-group', message: `there is no group "${group}"` }]);
        io.out(graph(inv, group));
      });
    editCommand(cmd, io, 'move <device>', 'move a device to another group (keeps its vars and comments)', (inv, device, o) => planMove(inv, device, o.to!, o.from))
      .requiredOption('--to <group>', 'group to move the device to')
      .option('--from <group>', 'group to take it out of, when it is in several');
    editCommand(cmd, io, 'add <device>', 'add a device (its id, or a readable name with --device-id) to a group', (inv, device, o) =>
      planAdd(inv, device, o.to!, o.comment, o.deviceId),
    )
      .requiredOption('--to <group>', 'group to add the device to')
      .option('--device-id <id>', 'Mender device id of a device added under a readable name (written as mender_device_id)')
      .option('--comment <text>', 'comment for the device line, e.g. its hardware and role');
    editCommand(cmd, io, 'remove <device>', 'remove a device from a group, or from the inventory', (inv, device, o) => planRemove(inv, device, o.from)).option(
      '--from <group>',
      'remove it only from this group',
    );
  };
}

interface EditOpts {
  to?: string;
  from?: string;
  comment?: string;
  deviceId?: string;
  dryRun?: boolean;
}

function editCommand(cmd: Command, io: CommandIO, spec: string, description: string, plan: (inv: LoadedInventory, device: string, o: EditOpts) => Result<EditPlan>): Command {
  return cmd
    .command(spec)
    .description(description)
    .option('--dry-run', 'print the change as a unified diff and write nothing')
    .action((device: string, o: EditOpts, c: Command) => {
      const opts = common(c);
      const inv = loadOrReport(io, opts);
      if (!inv) return;
      const p = plan(inv, device, o);
      if (!p.ok) return report(io, [p.error]);
      if (p.value.note) io.err(`note: ${p.value.note}`);
      const diff = planDiff(p.value, rel);
      if (o.dryRun) return io.out(diff || '(no change)');
      const applied = applyPlan(p.value, opts.inventory, { playbookDir: opts.playbookDir });
      if (!applied.ok) return report(io, applied.error, 'the change was not written: it would leave the inventory invalid');
      io.out(`${p.value.summary} (${p.value.edits.map((e) => rel(e.file)).join(', ')})`);
    });
}

function common(c: Command): Common {
  const o = c.optsWithGlobals<{ inventory?: string[]; playbookDir?: string }>();
  return { inventory: o.inventory?.length ? o.inventory : ['inventory/'], playbookDir: o.playbookDir };
}

function loadOrReport(io: CommandIO, o: Common): LoadedInventory | undefined {
  const r = loadFull(o.inventory, { playbookDir: o.playbookDir });
  if (!r.ok) {
    report(io, r.error);
    return undefined;
  }
  for (const w of r.value.warnings) io.err(diagnostic(relErr(w), { prefix: 'warning: ', severity: 'warning' }));
  return r.value;
}

function report(io: CommandIO, errors: FleetError[], prefix?: string): void {
  if (prefix) io.err(prefix);
  for (const e of errors) io.err(diagnostic(relErr(e), { prefix: 'error: ' }));
  io.exit(ExitCode.usage);
}

function relErr(e: FleetError): FleetError {
  const message = e.message.split(`${process.cwd()}/`).join('');
  return { ...e, message, ...(e.file ? { file: rel(e.file) } : {}) };
}

/** The last layer that sets the var: its value and source. */
const winner = (inv: LoadedInventory, host: string, name: string) => inv.varOrigin(host, name);

function listJson(inv: LoadedInventory) {
  return {
    hosts: inv.hosts.map((h) => {
      const branch = winner(inv, h, 'subscribed_branch');
      return {
        host: h,
        device_id: inv.deviceId(h),
        device_name: inv.hostVars(h).device_name ?? null,
        groups: inv.groupNames(h),
        subscribed_branch: branch?.value ?? null,
        subscribed_branch_source: branch?.source ?? null,
        subscribed_branch_is_default: branchIsDefault(inv, h),
      };
    }),
    groups: [...inv.groups.values()],
  };
}

/** No stage group and no host var sets the branch: the device follows all's default (or its own attribute). */
function branchIsDefault(inv: LoadedInventory, host: string): boolean {
  const sets = (layers: { vars: Record<string, unknown> }[]) => layers.some((l) => 'subscribed_branch' in l.vars);
  return !sets(inv.ownHostLayers(host)) && !inv.sortedGroups(host).some((g) => sets(inv.ownGroupLayers(g)));
}

function listText(inv: LoadedInventory): string {
  const branch = (h: { subscribed_branch: unknown; subscribed_branch_is_default: boolean }) =>
    `${scalar(h.subscribed_branch)}${h.subscribed_branch_is_default ? ' (default)' : ''}`;
  const rows = listJson(inv).hosts.map((h) => [h.host, h.device_id, branch(h), h.groups.join(', ')]);
  return table([['HOST', 'DEVICE ID', 'BRANCH', 'GROUPS'], ...rows]);
}

/** A variable's value in a table cell: strings as they are, anything else as JSON. */
const scalar = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** Values of secret-looking names never leave the process, even if someone committed one. */
function display(name: string, value: unknown): unknown {
  return isSecretKey(name) ? '********' : value;
}

function show(io: CommandIO, inv: LoadedInventory, given: string, json: boolean): void {
  const found = resolveHost(inv, given);
  if (!found.ok) return report(io, [found.error]);
  if (found.value.note) io.err(`note: ${found.value.note}`);
  const device = found.value.host;
  const id = inv.deviceId(device);
  const names = Object.keys(inv.hostVars(device));
  const vars = Object.fromEntries(names.map((n) => [n, { ...winner(inv, device, n)!, value: display(n, inv.hostVars(device)[n]) }]));
  if (json) return io.out(maskSecrets(JSON.stringify({ host: device, device_id: id, groups: inv.groupNames(device), vars }, null, 2)));
  const lines = names.map((n) => [`${n}: ${typeof vars[n].value === 'string' ? vars[n].value : JSON.stringify(vars[n].value)}`, `# ${vars[n].source}`]);
  const width = Math.min(48, Math.max(0, ...lines.map((l) => l[0].length)));
  const head = `# ${id === device ? device : `${device} (device ${id})`} in groups: ${inv.groupNames(device).join(', ')}`;
  io.out(maskSecrets([head, ...lines.map(([a, b]) => `${a.padEnd(width)}  ${b}`)].join('\n')));
}
