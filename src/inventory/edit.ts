import { readFileSync, writeFileSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
import { fleetError, type FleetError, type Result } from '../errors/index.js';
import type { EntryRef } from './build.js';
import { DEVICE_ID_VAR, isDeviceId, isMenderId, menderIdHint } from './device-id.js';
import { applyLines, indentOf, lineIndex, mapAt, pairOf, pairSpan, reindent, type Insert, type Span } from './edit-text.js';
import { loadFull } from './load.js';
import type { LoadedInventory } from './model.js';
import type { LoadOptions } from './types.js';
import { keyNode, parseYaml, type YamlFile } from './yaml-file.js';

/** A planned change of one file: shown as a diff (--dry-run) or written. */
export interface FileEdit {
  file: string;
  before: string;
  after: string;
}

export interface EditPlan {
  summary: string;
  edits: FileEdit[];
  /** How the device given was read, when it was not a host name (an id resolved to its named host). */
  note?: string;
}

const fail = (code: string, message: string, hint: string): Result<never> => ({ ok: false, error: fleetError(code, message, { hint }) });

/** Moves a device's entry (with its vars and comments) from one group to another. */
export function planMove(inv: LoadedInventory, given: string, to: string, from?: string): Result<EditPlan> {
  const known = resolveHost(inv, given);
  if (!known.ok) return known;
  const device = known.value.host;
  const target = checkGroup(inv, to);
  if (!target.ok) return target;
  if (inv.groups.get(to)!.hosts.includes(device)) return fail('inventory.edit', `device ${device} is already in group "${to}"`, 'nothing to do');
  const source = sourceEntry(inv, device, to, from);
  if (!source.ok) return source;
  const texts = new Texts();
  const src = texts.entry(source.value);
  const dest = texts.groupEntry(inv, to, source.value.file.path);
  if (!src.ok) return src;
  if (!dest.ok) return dest;
  const group = source.value.path[source.value.path.length - 3];
  const span = src.value.span;
  const lines = texts.lines(src.value.file).slice(span.start, span.end);
  const insert = insertion(dest.value.file, dest.value.path, lines, indentOf(lines[0]), src.value.step);
  if (!insert.ok) return insert;
  texts.cut(src.value.file, span);
  texts.insert(dest.value.file, insert.value);
  return { ok: true, value: { summary: `moved ${device} from "${group}" to "${to}"`, edits: texts.edits(), note: known.value.note } };
}

/**
 * Adds a device entry to a group (`DEVICE:  # comment`). A new readable name needs its id
 * (`--device-id`), written under the entry as `mender_device_id`; a name or id already in the
 * inventory adds that host to one more group.
 */
export function planAdd(inv: LoadedInventory, given: string, to: string, comment?: string, deviceId?: string): Result<EditPlan> {
  const entry = newEntry(inv, given, deviceId);
  if (!entry.ok) return entry;
  const { host: device, note, vars } = entry.value;
  const target = checkGroup(inv, to);
  if (!target.ok) return target;
  if (inv.groups.get(to)!.hosts.includes(device)) return fail('inventory.edit', `device ${device} is already in group "${to}"`, 'nothing to do');
  const texts = new Texts();
  const dest = texts.groupEntry(inv, to);
  if (!dest.ok) return dest;
  const line = comment ? `${device}:  # ${comment.replace(/\n/g, ' ')}` : `${device}:`;
  const insert = insertion(dest.value.file, dest.value.path, [line, ...vars.map((v) => `  ${v}`)], 0, 2);
  if (!insert.ok) return insert;
  texts.insert(dest.value.file, insert.value);
  return { ok: true, value: { summary: `added ${device} to "${to}"`, edits: texts.edits(), note } };
}

/** The host `add` lists, and the vars its entry needs (mender_device_id for a new readable name). */
function newEntry(inv: LoadedInventory, given: string, deviceId?: string): Result<{ host: string; note?: string; vars: string[] }> {
  const known = inv.hasHost(given) || inv.hostOfDeviceId(given) !== undefined;
  if (known) {
    const r = resolveHost(inv, given);
    if (!r.ok) return r;
    const id = inv.deviceId(r.value.host);
    if (deviceId !== undefined && deviceId !== id) {
      return fail('inventory.edit', `${r.value.host} is already in the inventory as device ${id}, not ${deviceId}`, `leave out --device-id, or pick another name for device ${deviceId}`);
    }
    return { ok: true, value: { ...r.value, vars: [] } };
  }
  if (deviceId === undefined) {
    if (isDeviceId(given)) return { ok: true, value: { host: given, vars: [] } };
    return fail('inventory.bad-device-id', `"${given}" is not a device id`, `give its id: \`fleetplay inventory add ${given} --to GROUP --device-id <id from the Mender UI>\``);
  }
  if (isDeviceId(given)) return fail('inventory.edit', `${given} is a device id: it needs no --device-id`, `leave out --device-id, or name the device readably: \`add NAME --device-id ${given}\``);
  if (!isMenderId(deviceId)) return fail('inventory.bad-mender-device-id', `--device-id ${deviceId} is not a device id`, menderIdHint(deviceId));
  return { ok: true, value: { host: given, vars: [`${DEVICE_ID_VAR}: ${deviceId}`] } };
}

/** Removes a device from one group (--from) or from the whole inventory. */
export function planRemove(inv: LoadedInventory, given: string, from?: string): Result<EditPlan> {
  const known = resolveHost(inv, given);
  if (!known.ok) return known;
  const device = known.value.host;
  const group = from === undefined ? known : checkGroup(inv, from);
  if (!group.ok) return group;
  const refs = inv.hostEntries(device).filter((r) => from === undefined || groupOfEntry(r) === from);
  if (refs.length === 0) return fail('inventory.edit', `device ${device} is not listed in group "${from}"`, `it is in: ${directGroups(inv, device)}`);
  const texts = new Texts();
  for (const ref of refs) {
    const src = texts.entry(ref);
    if (!src.ok) return src;
    texts.cut(src.value.file, src.value.span);
  }
  const where = from === undefined ? 'the inventory' : `"${from}"`;
  return { ok: true, value: { summary: `removed ${device} from ${where}`, edits: texts.edits(), note: known.value.note } };
}

/** Checks the edited files load cleanly (same sources), then writes them; nothing is written otherwise. */
export function applyPlan(plan: EditPlan, sources: string[], opts: LoadOptions = {}): Result<void, FleetError[]> {
  const contents = new Map(plan.edits.map((e) => [e.file, e.after]));
  const check = loadFull(sources, { ...opts, contents });
  if (!check.ok) return check;
  for (const e of plan.edits) writeFileSync(e.file, e.after);
  return { ok: true, value: undefined };
}

/** Unified diff of the plan, like `git diff` (paths as given). */
export function planDiff(plan: EditPlan, label: (file: string) => string = (f) => f): string {
  return plan.edits.map((e) => createTwoFilesPatch(`a/${label(e.file)}`, `b/${label(e.file)}`, e.before, e.after, '', '', { context: 3 }).split('\n').slice(1).join('\n')).join('');
}

/** A host of the inventory, by name or by device id (a named host found by its mender_device_id says so). */
export function resolveHost(inv: LoadedInventory, given: string): Result<{ host: string; note?: string }> {
  if (inv.hasHost(given)) return { ok: true, value: { host: given } };
  const host = inv.hostOfDeviceId(given);
  if (host !== undefined) return { ok: true, value: { host, note: `${given} is the ${DEVICE_ID_VAR} of "${host}": using that host` } };
  return fail('inventory.unknown-device', `device ${given} is not in the inventory`, 'check its name or id with `fleetplay inventory list`');
}

function checkGroup(inv: LoadedInventory, group: string): Result<void> {
  if (inv.groups.has(group) && group !== 'all' && group !== 'ungrouped') return { ok: true, value: undefined };
  const names = [...inv.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped');
  return fail('inventory.unknown-group', `there is no group "${group}"`, `use one of: ${names.join(', ')}`);
}

function groupOfEntry(ref: EntryRef): string {
  return ref.path[ref.path.length - 3];
}

function directGroups(inv: LoadedInventory, device: string): string {
  return inv.hostEntries(device).map(groupOfEntry).join(', ');
}

/**
 * The entry to move: the one in --from, else the only group the device is in, else the one
 * group that sets the same variables as the target (stage groups set subscribed_branch,
 * hardware groups device_type), so moving between stages leaves the hardware group alone.
 */
function sourceEntry(inv: LoadedInventory, device: string, to: string, from?: string): Result<EntryRef> {
  const refs = inv.hostEntries(device).filter((r) => from === 'all' || groupOfEntry(r) !== 'all');
  const targetKeys = ownKeys(inv, to);
  const alike = (r: EntryRef): boolean => [...ownKeys(inv, groupOfEntry(r))].some((k) => targetKeys.has(k));
  const pick = from !== undefined ? refs.filter((r) => groupOfEntry(r) === from) : refs.length === 1 ? refs : refs.filter(alike);
  if (pick.length === 1) return { ok: true, value: pick[0] };
  if (from !== undefined) return fail('inventory.edit', `device ${device} is not listed in group "${from}"`, `it is in: ${directGroups(inv, device)}`);
  if (refs.length === 0) return fail('inventory.edit', `device ${device} is listed directly under all:`, 'take it from there with --from all, or use `add`');
  return fail('inventory.edit', `device ${device} is in several groups (${directGroups(inv, device)})`, 'say which one to move it out of with --from GROUP');
}

function ownKeys(inv: LoadedInventory, group: string): Set<string> {
  return new Set(inv.ownGroupLayers(group).flatMap((l) => Object.keys(l.vars)));
}

interface Located {
  file: YamlFile;
  path: string[];
}

/** Where to insert lines so they become an entry of the group's `hosts:`; adds `hosts:` if needed. */
function insertion(file: YamlFile, groupPath: string[], entry: string[], fromIndent: number, step: number): Result<Insert> {
  const lines = file.text.split('\n');
  const flowHint = 'write the group in block style (one `key:` per line) and run the command again';
  const group = mapAt(file, groupPath);
  const groupKeyLine = lineIndex(file, keyNodeAt(file, groupPath)!.range![0]);
  const groupIndent = indentOf(lines[groupKeyLine]);
  if (group === undefined || group?.flow) return fail('inventory.edit', `group "${groupPath.at(-1)}" is written in flow style`, flowHint);
  if (group === null) {
    const to = groupIndent + step;
    return ok(groupKeyLine + 1, [`${' '.repeat(to)}hosts:`, ...reindent(entry, fromIndent, to + step)]);
  }
  // Follow the indentation the target group already uses.
  const keyIndent = indentOf(lines[lineIndex(file, (group.items[0].key as { range: [number] }).range[0])]);
  const local = keyIndent - groupIndent > 0 ? keyIndent - groupIndent : step;
  const hostsPair = pairOf(group, 'hosts');
  const hosts = mapAt(file, [...groupPath, 'hosts']);
  if (hostsPair && hosts === null) {
    const keyLine = lineIndex(file, hostsPair.key.range![0]);
    return ok(keyLine + 1, reindent(entry, fromIndent, indentOf(lines[keyLine]) + local));
  }
  if (hostsPair && hosts && !hosts.flow && hosts.items.length) {
    const last = pairSpan(file, hosts.items[hosts.items.length - 1] as never);
    const firstLine = lineIndex(file, (hosts.items[0].key as { range: [number] }).range[0]);
    return ok(last.end, reindent(entry, fromIndent, indentOf(lines[firstLine])));
  }
  if (hostsPair) return fail('inventory.edit', `hosts of group "${groupPath.at(-1)}" are written in flow style`, flowHint);
  const lastPair = pairSpan(file, group.items[group.items.length - 1] as never);
  return ok(lastPair.end, [`${' '.repeat(keyIndent)}hosts:`, ...reindent(entry, fromIndent, keyIndent + local)]);
}

function ok(at: number, lines: string[]): Result<Insert> {
  return { ok: true, value: { at, lines } };
}

function keyNodeAt(file: YamlFile, path: string[]) {
  const parent = path.length === 1 ? file.doc.contents : mapAt(file, path.slice(0, -1));
  return parent && 'items' in parent ? keyNode(parent as never, path[path.length - 1]) : undefined;
}

/** The files being edited: read once, cut and insert into, then turned into FileEdits. */
class Texts {
  private readonly files = new Map<string, { file: YamlFile; cuts: Span[]; inserts: Insert[] }>();

  parsed(path: string): Result<YamlFile> {
    const known = this.files.get(path);
    if (known) return { ok: true, value: known.file };
    const text = readFileSync(path, 'utf8');
    const parsed = parseYaml(path, text);
    if (!parsed.ok) return { ok: false, error: parsed.error[0] };
    this.files.set(path, { file: parsed.value, cuts: [], inserts: [] });
    return { ok: true, value: parsed.value };
  }

  lines(file: YamlFile): string[] {
    return file.text.split('\n');
  }

  /** The lines of a device entry, and the indentation step used around it. */
  entry(ref: EntryRef): Result<{ file: YamlFile; span: Span; step: number }> {
    const file = this.parsed(ref.file.path);
    if (!file.ok) return file;
    const hosts = mapAt(file.value, ref.path.slice(0, -1));
    const pair = hosts ? pairOf(hosts, ref.path[ref.path.length - 1]) : undefined;
    if (!hosts || !pair || hosts.flow) {
      return fail('inventory.edit', `the entry of ${ref.path.at(-1)} in ${ref.file.path} is written in flow style`, 'write `hosts:` in block style (one device per line) and run the command again');
    }
    const lines = this.lines(file.value);
    const hostsKey = keyNodeAt(file.value, ref.path.slice(0, -1))!;
    const span = pairSpan(file.value, pair);
    const step = indentOf(lines[span.start]) - indentOf(lines[lineIndex(file.value, hostsKey.range![0])]);
    return { ok: true, value: { file: file.value, span, step: step > 0 ? step : 2 } };
  }

  /** The definition of a group to add to: preferably in `prefer` (the file the device comes from). */
  groupEntry(inv: LoadedInventory, group: string, prefer?: string): Result<Located> {
    const refs = inv.groupEntries(group);
    const ref = refs.find((r) => r.file.path === prefer) ?? refs[0];
    const file = this.parsed(ref.file.path);
    return file.ok ? { ok: true, value: { file: file.value, path: ref.path } } : file;
  }

  cut(file: YamlFile, span: Span): void {
    this.files.get(file.path)!.cuts.push(span);
  }

  insert(file: YamlFile, insert: Insert): void {
    this.files.get(file.path)!.inserts.push(insert);
  }

  edits(): FileEdit[] {
    return [...this.files.values()]
      .filter((f) => f.cuts.length || f.inserts.length)
      .map((f) => ({ file: f.file.path, before: f.file.text, after: applyLines(f.file.text, f.cuts, f.inserts) }));
  }
}
