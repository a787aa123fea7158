/**
 * ansible-playbook's --list-hosts, --list-tasks, --list-tags and --syntax-check, printed as
 * ansible-core 2.14 prints them (lib/ansible/cli/playbook.py). Listing only loads the playbook and the inventory: no task runs, no OTA
 * server is contacted, no credential is needed.
 */
import { dirname, resolve } from 'node:path';
import { err, ExitCode, ok, type FleetError, type Result } from '../errors/index.js';
import { printDiagnostic } from '../log/index.js';
import { compareStrings, loadInventory, type Inventory } from '../inventory/index.js';
import { asList } from './keywords.js';
import { loadPlaybook } from './loader.js';
import type { Node, Play, TaskNode } from './model.js';
import { limitHosts } from './run.js';
import { ansibleName } from './start-at.js';
import { selectedByTags, tagNames, taskTags, type TagFilter } from './tags.js';

export interface ListOptions {
  /** Printed as given, as ansible prints it ("playbook: FILE"). */
  playbook: string;
  inventory: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  stdout?: NodeJS.WritableStream;
}

/** Whether the options ask for a listing or a syntax check instead of a run. */
export function isListing(o: Pick<ListOptions, 'listHosts' | 'listTasks' | 'listTags' | 'syntaxCheck'>): boolean {
  return o.listHosts === true || o.listTasks === true || o.listTags === true || o.syntaxCheck === true;
}

/** Prints the listing; 0, or 1 (configuration error, printed as run prints it) when something does not load. */
export function listPlaybook(o: ListOptions): { exitCode: number; errors: FleetError[] } {
  const stdout = o.stdout ?? process.stdout;
  const fail = (errors: FleetError[]) => {
    for (const e of errors) printDiagnostic(stdout, e, { prefix: 'ERROR! ' });
    return { exitCode: ExitCode.usage, errors };
  };
  const pb = loadPlaybook(o.playbook);
  if (!pb.ok) return fail(pb.error);
  // ansible reads the inventory and checks --limit even for --syntax-check.
  const inv = loadInventory(o.inventory, { playbookDir: dirname(resolve(o.playbook)) });
  if (!inv.ok) return fail(inv.error);
  const limit = limitHosts(o.limit, inv.value);
  if (!limit.ok) return fail([limit.error]);
  let text = `\nplaybook: ${o.playbook}\n`;
  if (!o.syntaxCheck) {
    const filter = { tags: o.tags ?? [], skip: o.skipTags ?? [] };
    const hosts = pb.value.plays.map((p) => playHosts(p, inv.value, limit.value));
    const bad = hosts.flatMap((h) => (h.ok ? [] : [h.error]));
    if (bad.length) return fail(bad);
    text += pb.value.plays.map((p, i) => playListing(p, i + 1, o, filter, o.listHosts ? hosts[i] : undefined)).join('');
  }
  stdout.write(text);
  return { exitCode: ExitCode.ok, errors: [] };
}

function playListing(play: Play, n: number, o: ListOptions, filter: TagFilter, hosts?: Result<string[]>): string {
  const patterns = asList(play.kw.hosts).map(String);
  const playTags = [...tagNames(asList(play.kw.tags))];
  let msg = `\n  play #${n} (${patterns.join(',')}): ${play.name}\tTAGS: [${playTags.join(',')}]`;
  if (hosts?.ok) {
    const names = hosts.value;
    msg += `\n    pattern: [${patterns.map(pyRepr).join(', ')}]\n    hosts (${names.length}):`;
    msg += names.map((h) => `\n      ${h}`).join('');
  }
  msg += '\n';
  if (!o.listTasks && !o.listTags) return msg;
  const tasks = [play.pre, play.main, play.post].flatMap(blockTasks).filter((t) => selectedByTags(t, filter));
  const sorted = (tags: Iterable<string>) => [...new Set([...playTags, ...tags])].sort(compareStrings).join(', ');
  let list = o.listTasks ? '    tasks:\n' : '';
  if (o.listTasks) list += tasks.map((t) => `      ${listedName(t)}\tTAGS: [${sorted(taskTags(t))}]\n`).join('');
  if (o.listTags) list += `      TASK TAGS: [${sorted(tasks.flatMap((t) => [...taskTags(t)]))}]\n`;
  // ansible's display() adds a newline only to text that does not end with one.
  return `${msg}${list}`;
}

/**
 * The play's hosts within --limit, in inventory order (ansible prints a set: its order varies);
 * a bad pattern is an error at the play, as when it runs.
 */
function playHosts(play: Play, inv: Inventory, limit: string[] | undefined): Result<string[]> {
  const m = inv.match(asList(play.kw.hosts).map(String).join(','));
  if (!m.ok) return err({ ...m.error, file: play.file, line: play.line });
  const only = limit && new Set(limit);
  return ok(m.value.filter((h) => !only || only.has(h)));
}

/** Tasks of a block's `block:` section only: ansible's listing does not show rescue and always tasks. */
function blockTasks(nodes: Node[]): TaskNode[] {
  return nodes.flatMap((n) => (n.kind === 'block' ? blockTasks(n.block) : [n]));
}

/** A named task as ansible names it ("role : name"); an unnamed one by its action as written. */
function listedName(t: TaskNode): string {
  return t.name ? ansibleName(t) : (t.written ?? t.action);
}

/** Python's repr() of a str: single quotes unless the text has one and no double quote. */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}
