/**
 * Writing the run report (`--report FILE`): results streamed to a temporary file as they come,
 * then the whole report validated, masked and renamed into place.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { z } from 'zod';
import { containsSecret, maskDeep, maskedJson } from '../log/index.js';
import { DevicePlan } from '../plan/model.js';
import { RunReport, sameTask, StatsSchema, STATUSES, TaskHeader, TaskResults, type TaskRecord } from './report.js';

/**
 * The `results` of a report on its way to disk: each record is masked, validated and written as
 * it comes, grouped under its task (see TaskResults), so 100k hosts × tasks never sit in memory
 * or in one string.
 */
export class ResultsFile {
  readonly path: string;
  private readonly fd: number;
  /**
   * The chunk being filled: text, and host records as JSON made when they come (a result can
   * change later). Secrets are looked for once in the chunk's text, not once a record (a million
   * records in a 100k-device run); only a chunk that holds one has its records masked one by one.
   */
  private chunk: (string | { lead: string; json: string })[] = [];
  private chunkBytes = 0;
  /** Task entries started so far. */
  size = 0;
  private group:
    (Pick<TaskRecord, 'play' | 'task' | 'file' | 'line'> & { hosts: Set<string>; durationMs: number }) | undefined;

  constructor(report: string) {
    this.path = `${report}.results.tmp`;
    this.fd = openSync(this.path, 'w', 0o600);
  }

  add(r: TaskRecord): void {
    // Built by typed code; a shape check by hand, as zod's copy of every result (a million per
    // 100k-device run) cost more than writing it.
    if (!STATUSES.has(r.status) || typeof r.result !== 'object' || r.result === null || Array.isArray(r.result))
      throw new Error(`report: bad result for ${r.host} in ${r.task}`);
    let g = this.group;
    if (!g || !sameTask(g, r) || g.hosts.has(r.host)) {
      this.closeGroup();
      const header = TaskHeader.parse({ play: r.play, task: r.task, action: r.action, file: r.file, line: r.line });
      this.text(`${this.size++ ? ',\n' : ''}    ${maskedJson(header).slice(0, -1)},"hosts":{`);
      g = this.group = { play: r.play, task: r.task, file: r.file, line: r.line, hosts: new Set(), durationMs: 0 };
    }
    const lead = `${g.hosts.size ? ',' : ''}\n      ${JSON.stringify(r.host)}:`;
    // status is one of STATUSES (checked above): no escaping, no object to stringify.
    const json = `{"status":"${r.status}","result":${JSON.stringify(r.result)}}`;
    this.chunk.push({ lead, json });
    this.chunkBytes += lead.length + json.length;
    g.hosts.add(r.host);
    g.durationMs = Math.max(g.durationMs, r.durationMs);
    if (this.chunkBytes >= CHUNK) this.flush();
  }

  /** Copies what was written into `out`, then removes the temporary file. */
  drainInto(out: number): void {
    this.closeGroup();
    this.flush();
    closeSync(this.fd);
    const data = Buffer.allocUnsafe(1 << 20);
    const fd = openSync(this.path, 'r');
    try {
      for (let n; (n = readSync(fd, data, 0, data.length, null)) > 0;) writeSync(out, data, 0, n);
    } finally {
      closeSync(fd);
      rmSync(this.path, { force: true });
    }
  }

  /** Gives up (the report is not written): the temporary file goes. */
  discard(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }

  private closeGroup(): void {
    if (this.group) this.text(`\n    },"durationMs":${this.group.durationMs}}`);
    this.group = undefined;
  }

  /** Text already masked (task headers) or with nothing to mask (punctuation, counts). */
  private text(t: string): void {
    this.chunk.push(t);
    this.chunkBytes += t.length;
  }

  private flush(): void {
    if (!this.chunk.length) return;
    const json = (mask: boolean) =>
      this.chunk
        .map((c) => (typeof c === 'string' ? c : c.lead + (mask ? maskedJson(JSON.parse(c.json)) : c.json)))
        .join('');
    const plain = json(false);
    writeSync(this.fd, containsSecret(plain) ? json(true) : plain);
    this.chunk = [];
    this.chunkBytes = 0;
  }
}

/**
 * Characters of results buffered before a write (and a look for secrets): small enough that the
 * joined text stays out of V8's large-object space (see writeChunked), even as two-byte text.
 */
const CHUNK = 1 << 15;
const PIECE = 1 << 15;
const SLOT = '@@fleetplay:results@@';
const RECAP_SLOT = '@@fleetplay:recap@@';
const DEVICES_SLOT = '@@fleetplay:devices@@';
const STAT_KEYS = Object.keys(StatsSchema.shape) as (keyof z.infer<typeof StatsSchema>)[];

/**
 * Writes the report: validated, secrets masked, atomically (a temporary file renamed into place).
 * With `results`, the records come from that file instead of `report.results`. Recap, results and
 * plan entries are one compact line each, written in chunks (100k hosts: no copy of them, no
 * single string of them); the rest is indented.
 */
export function writeReport(file: string, report: RunReport, results?: ResultsFile): void {
  const { results: inline, plan, recap, devices = {}, ...head } = report;
  const checked = RunReport.parse({ ...maskDeep(head), recap: {}, devices: {}, results: [], plan: [] });
  const text = JSON.stringify(
    { ...checked, recap: RECAP_SLOT, devices: DEVICES_SLOT, results: [SLOT], plan: [SLOT] },
    null,
    2,
  );
  const [beforeRecap, afterRecap] = text.split(`"${RECAP_SLOT}"`) as [string, string];
  const [beforeDevices, rest] = afterRecap.split(`"${DEVICES_SLOT}"`) as [string, string];
  const [before, between, after] = rest.split(`[\n    "${SLOT}"\n  ]`);
  const tmp = `${file}.tmp`;
  const out = openSync(tmp, 'w', 0o644);
  try {
    writeSync(out, beforeRecap);
    const hosts = Object.keys(recap);
    // Host names and counts only: nothing to mask.
    writeChunked(
      out,
      '{',
      '}',
      hosts.length,
      (i) => `${JSON.stringify(hosts[i])}: ${statsJson(recap[hosts[i]], hosts[i])}`,
    );
    writeSync(out, beforeDevices);
    const named = Object.keys(devices);
    writeChunked(out, '{', '}', named.length, (i) => `${JSON.stringify(named[i])}: ${idJson(devices[named[i]])}`);
    writeSync(out, before);
    if (results) {
      writeSync(out, results.size ? '[\n' : '[');
      results.drainInto(out);
      writeSync(out, results.size ? '\n  ]' : ']');
    } else writeChunked(out, '[', ']', inline.length, (i) => maskedJson(TaskResults.parse(inline[i])));
    writeSync(out, between);
    writeChunked(out, '[', ']', plan.length, (i) => maskedJson(planRecord(plan[i])));
    writeSync(out, `${after}\n`);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, file);
}

/** A host's recap counts, checked by hand (StatsSchema, 100k times) and in the schema's order. */
function statsJson(s: z.infer<typeof StatsSchema>, host: string): string {
  for (const k of STAT_KEYS)
    if (!Number.isInteger(s[k])) throw new Error(`report: recap of ${host}: ${k} is not a count`);
  return `{${STAT_KEYS.map((k) => `"${k}": ${s[k]}`).join(', ')}}`;
}

function idJson(id: unknown): string {
  if (typeof id !== 'string') throw new Error('report: a device id is not a string');
  return JSON.stringify(id);
}

/** A device's plan, checked by hand for its shape (100k+ devices, made by typed code), else by zod. */
function planRecord(p: DevicePlan): DevicePlan {
  const ok =
    typeof p.host === 'string' &&
    typeof p.device_id === 'string' &&
    typeof p.os?.action === 'string' &&
    typeof p.config?.action === 'string';
  return ok ? p : DevicePlan.parse(p);
}

/**
 * A JSON array or object of `n` entries made by `entry(i)`, one per line, written in pieces of
 * about PIECE characters. A larger string is made in V8's large-object space, which only a full
 * collection frees: 100k devices' plan written 1000 entries at a time left hundreds of MB there
 * at the very end of the run, where its peak RSS was.
 */
function writeChunked(out: number, open: string, close: string, n: number, entry: (i: number) => string): void {
  if (!n) return void writeSync(out, open + close);
  let piece = `${open}\n`;
  for (let k = 0; k < n; k++) {
    piece += `    ${entry(k)}${k + 1 < n ? ',\n' : `\n  ${close}`}`;
    if (piece.length >= PIECE) {
      writeSync(out, piece);
      piece = '';
    }
  }
  if (piece) writeSync(out, piece);
}
