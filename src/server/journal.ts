/**
 * Durability: an append-only journal of state events, one line each (`crc32 json`), with
 * group commit: writes that arrive while an fsync runs share the next one, so a 2xx means
 * "on disk" without one fsync per request.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, ftruncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { JournalEvent } from './model.js';

export const JOURNAL_FILE = 'journal.jsonl';

const hex = (n: number) => n.toString(16).padStart(8, '0');

export function encodeEvent(e: JournalEvent): string {
  const json = JSON.stringify(e);
  return `${hex(crc32(json))} ${json}\n`;
}

export interface Replayed {
  events: JournalEvent[];
  /** A torn last line (a write cut by a crash, never acknowledged) was dropped. */
  droppedTail: boolean;
}

/** Reads the journal; any damage except a torn final line is an error naming file and line. */
export function readJournal(file: string): Result<Replayed, FleetError> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    return err(fleetError('server.state-unreadable', `cannot read the server state: ${(e as Error).message}`, { file, hint: 'check the permissions of --data-dir, or start with an empty directory' }));
  }
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  const tail = lines.pop()!; // '' when the file ends with a newline
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const parsed = decodeLine(lines[i]!);
    if (!parsed.ok) {
      return err(fleetError('server.state-corrupt', `server state is corrupt: ${parsed.error}`, { file, line: i + 1, hint: 'restore the data directory from a backup, or move it away to start with an empty fleet' }));
    }
    events.push(parsed.value);
  }
  if (events.length === 0 && tail === '' && buf.length > 0) {
    return err(fleetError('server.state-corrupt', 'server state is corrupt: no events', { file, line: 1 }));
  }
  if (events.length > 0 && events[0]!.t !== 'init' && events[0]!.t !== 'snapshot') {
    return err(fleetError('server.state-corrupt', 'server state is corrupt: the journal does not start with an init or snapshot event', { file, line: 1, hint: 'this file was not written by `fleetplay server`' }));
  }
  return ok({ events, droppedTail: tail !== '' });
}

function decodeLine(line: string): Result<JournalEvent, string> {
  const sp = line.indexOf(' ');
  if (sp !== 8) return err('malformed line');
  const json = line.slice(9);
  if (hex(crc32(json)) !== line.slice(0, 8)) return err('checksum mismatch');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return err('invalid JSON');
  }
  const r = JournalEvent.safeParse(value);
  return r.success ? ok(r.data) : err(`unknown event: ${r.error.issues[0]?.message ?? ''}`);
}

export class Journal {
  private buf: string[] = [];
  private bufBytes = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private failed: Error | undefined;

  private constructor(private readonly fh: FileHandle) {}

  /** Opens (creating) the journal in `dir`, after cutting a torn tail found by readJournal. */
  static async open(dir: string, validBytes?: number): Promise<Journal> {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, JOURNAL_FILE);
    if (validBytes !== undefined && existsSync(file)) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, validBytes);
      closeSync(fd);
    }
    return new Journal(await open(file, 'a'));
  }

  append(e: JournalEvent): void {
    const line = encodeEvent(e);
    this.buf.push(line);
    this.bufBytes += line.length;
    // Simulator events need no ack; keep the buffer small anyway.
    if (this.bufBytes > 1 << 20) this.kick();
  }

  /** Resolves once everything appended so far is on disk. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Writes buffered events soon, without anyone waiting. */
  kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.buf.length || this.waiters.length) {
        const data = this.buf.join('');
        const waiters = this.waiters;
        this.buf = [];
        this.bufBytes = 0;
        this.waiters = [];
        if (data) await this.fh.write(data);
        if (waiters.length) await this.fh.datasync();
        for (const w of waiters) w.resolve();
      }
    } catch (e) {
      this.failed = e as Error;
      for (const w of this.waiters) w.reject(this.failed);
      this.waiters = [];
    } finally {
      this.flushing = false;
    }
  }

  async close(): Promise<void> {
    if (this.buf.length) await this.sync().catch(() => undefined);
    await this.fh.close();
  }
}

/** Byte length of the complete lines of a journal file (what survives a torn tail). */
export function validLength(file: string): number {
  const buf = readFileSync(file);
  const last = buf.lastIndexOf(0x0a);
  return last + 1;
}
