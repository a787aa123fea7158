/**
 * Durability: an append-only journal of state events, one line each (`crc32 json`), with
 * group commit: writes that arrive while an fsync runs share the next one, so a 2xx means
 * "on disk" without one fsync per request.
 *
 * The journal holds the JWT signing secret and device configurations (which carry tokens): the
 * data directory is created 0700 and every state file is 0600. A new journal appears only once
 * its first line is on disk (temp file, fsync, rename), so a journal without a complete first
 * line was damaged after the fact and is an error, never a reason to seed a fresh fleet.
 */
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { JournalEvent } from './model.js';

export const JOURNAL_FILE = 'journal.jsonl';
/** Owner-only: the state holds the JWT secret and device configurations. */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

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
    return err(
      fleetError('server.state-unreadable', `cannot read the server state: ${(e as Error).message}`, {
        file,
        hint: 'check the permissions of --data-dir, or start with an empty directory',
      }),
    );
  }
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  const tail = lines.pop()!; // '' when the file ends with a newline
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const parsed = decodeLine(lines[i]);
    if (!parsed.ok) {
      return err(
        fleetError('server.state-corrupt', `server state is corrupt: ${parsed.error}`, {
          file,
          line: i + 1,
          hint: 'restore the data directory from a backup, or move it away to start with an empty fleet',
        }),
      );
    }
    events.push(parsed.value);
  }
  if (events.length === 0) return err(emptyJournal(file, buf.length));
  if (events[0].t !== 'init' && events[0].t !== 'snapshot') {
    return err(
      fleetError(
        'server.state-corrupt',
        'server state is corrupt: the journal does not start with an init or snapshot event',
        { file, line: 1, hint: 'this file was not written by `fleetplay server`' },
      ),
    );
  }
  return ok({ events, droppedTail: tail !== '' });
}

/**
 * A journal without one complete event. fleetplay never leaves one behind (see the header), so
 * the file was truncated or written by something else: refuse it rather than seed over a fleet.
 */
function emptyJournal(file: string, bytes: number): FleetError {
  const what =
    bytes === 0
      ? 'the journal is empty (0 bytes)'
      : `the journal holds no complete event (${bytes} bytes, no line end)`;
  return fleetError(
    'server.state-corrupt',
    `server state is corrupt: ${what}; fleetplay writes its first line before the file appears, so it was truncated or replaced`,
    {
      file,
      line: 1,
      hint: 'restore the data directory from a backup; to start over with a new fleet from the spec instead, delete this file (the fleet it held is lost)',
    },
  );
}

/** Creates the data directory owner-only; an existing one keeps its mode. */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

/**
 * Writes `lines` to `file` atomically with owner-only mode: temp file, fsync, rename, fsync of
 * the directory. A crash leaves the old file (or none), never a partial one.
 */
export function writeFileAtomic(file: string, lines: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE); // a stale temp file keeps its old mode on open
    writeSync(fd, lines);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
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

  /** Starts the journal of a new fleet in `dir`: the file appears with its first event on disk. */
  static async create(dir: string, first: JournalEvent): Promise<Journal> {
    ensureDataDir(dir);
    writeFileAtomic(join(dir, JOURNAL_FILE), encodeEvent(first));
    return Journal.open(dir);
  }

  /** Opens the existing journal in `dir` for appending, after cutting a torn tail found by readJournal. */
  static async open(dir: string, validBytes?: number): Promise<Journal> {
    const file = join(dir, JOURNAL_FILE);
    if (validBytes !== undefined && existsSync(file)) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, validBytes);
      closeSync(fd);
    }
    const fh = await open(file, 'a', FILE_MODE);
    // Journals written before files were made owner-only get tightened here.
    await fh.chmod(FILE_MODE);
    return new Journal(fh);
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
