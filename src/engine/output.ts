/**
 * Ansible-style console output (the default callback of ansible-core 2.14): PLAY / TASK
 * banners, one line per host result, PLAY RECAP. Writes are buffered: 100k hosts print
 * 100k lines per task, so lines are joined and written in large chunks.
 */
import type { Writable } from 'node:stream';
import { maskDeep, maskSecrets } from '../log/index.js';
import type { DiffLine } from './diff.js';
import { pyWrap } from './start-at.js';
import { pyJsonDumps } from '../template/python.js';

export interface Stats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export const emptyStats = (): Stats => ({
  ok: 0,
  changed: 0,
  unreachable: 0,
  failed: 0,
  skipped: 0,
  rescued: 0,
  ignored: 0,
});

const COLORS = {
  ok: '32',
  changed: '33',
  skipped: '36',
  failed: '31',
  unreachable: '31',
  rescued: '35',
  ignored: '35',
  banner: '0',
  add: '32',
  remove: '31',
  hunk: '36',
  plain: '0',
  warning: '1;35',
} as const;
type Colour = keyof typeof COLORS;

export interface PrinterOptions {
  stream: NodeJS.WritableStream;
  color: boolean;
  verbosity: number;
  /** Columns of the banner lines (ansible: terminal width - 1, at least 79). */
  columns?: number;
  /**
   * ansible's display_ok_hosts / display_skipped_hosts (default true; env ANSIBLE_DISPLAY_OK_HOSTS,
   * ANSIBLE_DISPLAY_SKIPPED_HOSTS): with either off, a task's banner waits for a result it shows.
   */
  displayOk?: boolean;
  displaySkipped?: boolean;
  /** Where `[WARNING]: …` lines go: stderr, as ansible's Display.warning writes them. */
  errStream?: NodeJS.WritableStream;
  /** Colour for the warnings (their stream may be a terminal when stdout is not). */
  errColor?: boolean;
}

/** The two display settings from the environment, as ansible reads them. */
export function displayFromEnv(env: NodeJS.ProcessEnv): Pick<PrinterOptions, 'displayOk' | 'displaySkipped'> {
  const flag = (v: string | undefined) => v === undefined || !/^(0|false|no|off|n|f)$/i.test(v.trim());
  return { displayOk: flag(env.ANSIBLE_DISPLAY_OK_HOSTS), displaySkipped: flag(env.ANSIBLE_DISPLAY_SKIPPED_HOSTS) };
}

export const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export class Printer {
  private buf: string[] = [];
  private size = 0;
  /** A task banner not printed yet (display_ok_hosts / display_skipped_hosts off). */
  private pending: string | undefined;
  private readonly showOk: boolean;
  private readonly showSkipped: boolean;
  /** Warnings already shown: ansible shows each text once a run. */
  private readonly warned = new Set<string>();
  constructor(private readonly o: PrinterOptions) {
    this.showOk = o.displayOk !== false;
    this.showSkipped = o.displaySkipped !== false;
  }

  private c(kind: Colour, s: string): string {
    return this.o.color ? `\x1b[0;${COLORS[kind]}m${s}\x1b[0m` : s;
  }

  write(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    // Under V8's large-object size even as two-byte text: those strings wait for a full collection.
    if (this.size > 1 << 15) this.flush();
  }

  flush(): void {
    if (!this.buf.length) return;
    this.o.stream.write(maskSecrets(this.buf.join('')));
    this.buf = [];
    this.size = 0;
  }

  /**
   * Written out, and given the time to go when the stream holds more than it wants (a pipe or a
   * file is written asynchronously, and a run of 100k hosts yields to nothing between tasks: its
   * whole output, ~1 kB a host × task, waited in memory). A closed or failed stream ends the wait.
   */
  async drained(): Promise<void> {
    this.flush();
    const s = this.o.stream as NodeJS.WritableStream & Partial<Writable>;
    if (!s.writableNeedDrain || s.destroyed || s.writableEnded) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        for (const e of ['drain', 'close', 'error'] as const) s.off(e, done);
        resolve();
      };
      for (const e of ['drain', 'close', 'error'] as const) s.once(e, done);
    });
  }

  banner(msg: string): void {
    const stars = Math.max(3, (this.o.columns ?? 79) - msg.length);
    this.write(`\n${msg} ${'*'.repeat(stars)}\n`);
  }

  /** A phase of the run after the plays (APPLY, PLAN FAILED): no task banner still pending is shown under it. */
  phase(msg: string): void {
    this.pending = undefined;
    this.banner(msg);
  }

  play(name: string): void {
    this.pending = undefined;
    this.banner(`PLAY [${name}]`);
  }

  task(name: string, handler = false): void {
    const msg = `${handler ? 'RUNNING HANDLER' : 'TASK'} [${name}]`;
    if (this.showOk && this.showSkipped) this.banner(msg);
    else this.pending = msg;
  }

  /** Prints the banner of the task whose first shown line this is. */
  private announce(): void {
    if (this.pending === undefined) return;
    const msg = this.pending;
    this.pending = undefined;
    this.banner(msg);
  }

  line(s: string): void {
    this.announce();
    this.write(`${s}\n`);
  }

  /** Whether a result of this kind prints nothing (display_ok_hosts / display_skipped_hosts off). */
  hides(kind: string): boolean {
    return (kind === 'ok' && !this.showOk) || (kind === 'skipping' && !this.showSkipped);
  }

  /** One host's result: `ok: [host] => {...}`, `fatal: [host]: FAILED! => {...}`. */
  result(
    kind: 'ok' | 'changed' | 'skipping' | 'failed' | 'fatal',
    host: string,
    result: Record<string, unknown>,
    opts: { item?: string; delegated?: string; show?: boolean; noLog?: boolean; ignored?: boolean },
  ): void {
    if (this.hides(kind)) return;
    // As the default callback: a result's warnings before its line (ok, changed, failed), not in its JSON.
    if (kind !== 'skipping' && Array.isArray(result.warnings) && result.warnings.length) {
      this.warn(result.warnings.map(String));
      result = Object.assign({}, result, { warnings: undefined });
    }
    const who = opts.delegated ? `[${host} -> ${opts.delegated}]` : `[${host}]`;
    const item = opts.item !== undefined ? ` (item=${opts.item})` : '';
    const colour: Colour =
      kind === 'ok' ? 'ok' : kind === 'changed' ? 'changed' : kind === 'skipping' ? 'skipped' : 'failed';
    const body = () =>
      sorted(opts.noLog ? { censored: CENSORED, changed: result.changed ?? false } : visible(result, this.o.verbosity));
    if (kind === 'fatal' || kind === 'failed') {
      const head =
        kind === 'fatal'
          ? `fatal: ${who}: ${result.unreachable === true ? 'UNREACHABLE!' : 'FAILED!'}`
          : `failed: ${who}${item}`;
      this.line(this.c('failed', `${head} => ${pyJson(maskDeep(body()))}`));
      if (opts.ignored) this.line(this.c('ignored', '...ignoring'));
      return;
    }
    // A censored result has lost debug's _ansible_verbose_always: `ok: [host]` only, as ansible.
    const show = (opts.show && !opts.noLog) || this.o.verbosity > 0;
    // Most lines show no result: build the JSON only when it is printed (100k hosts × tasks).
    // ansible indents debug output and everything at -vvv; -v and -vv results take one line.
    const json = (v: unknown) => (opts.show || this.o.verbosity > 2 ? JSON.stringify(v, null, 4) : pyJson(v));
    const text = show ? ` => ${json(maskDeep(body()))}` : '';
    // ansible ends a skipped item's "(item=x) " with a space, before any " => {...}".
    const itemText = item ? ` =>${item}${kind === 'skipping' ? ' ' : ''}` : '';
    this.line(this.c(colour, `${kind}: ${who}${itemText}${text}`));
  }

  /** A task put off until the apply phase for `host`: it reads what a write will answer. */
  deferred(host: string, awaited: string): void {
    this.line(this.c('skipped', `deferred: [${host}] (reads the result of "${awaited}", runs at apply)`));
  }

  /**
   * `[WARNING]: text` on the error stream, wrapped to the banner's width and each text once, as
   * ansible's Display.warning; the output so far is written first so the two streams interleave
   * in order on a terminal or in a CI log.
   */
  warn(texts: string[]): void {
    this.announce();
    const fresh = texts
      .map((t) => pyWrap(`[WARNING]: ${t}`, this.o.columns ?? 79).join('\n'))
      .filter((w) => !this.warned.has(w));
    if (!fresh.length) return;
    this.flush();
    for (const w of fresh) {
      this.warned.add(w);
      const text = this.o.errColor ? `\x1b[${COLORS.warning}m${w}\x1b[0m` : w;
      (this.o.errStream ?? process.stderr).write(maskSecrets(`${text}\n`));
    }
  }

  /** A result's `--diff` text (see diff.ts): through the same buffer, so secrets are masked too. */
  diff(lines: DiffLine[]): void {
    if (!lines.length) return;
    this.announce();
    for (const l of lines) {
      const text = l.text.endsWith('\n') ? l.text.slice(0, -1) : l.text;
      this.write(l.kind === 'plain' || !this.o.color ? l.text : `${this.c(l.kind, text)}${l.text.slice(text.length)}`);
    }
    // Display.display ends the message with a newline when the text has none.
    if (!lines[lines.length - 1].text.endsWith('\n')) this.write('\n');
  }

  recap(stats: Map<string, Stats>): void {
    this.pending = undefined;
    this.banner('PLAY RECAP');
    for (const [h, s] of stats) {
      const hostCol = s.failed || s.unreachable ? 'failed' : s.changed ? 'changed' : 'ok';
      const f = (k: keyof Stats, col: Colour) => {
        const t = `${k}=${String(s[k]).padEnd(4)}`;
        return s[k] ? this.c(col, t) : t;
      };
      const name = this.o.color ? this.c(hostCol, h).padEnd(h.length + 11 + Math.max(0, 26 - h.length)) : h.padEnd(26);
      this.line(
        `${name} : ${f('ok', 'ok')} ${f('changed', 'changed')} ${f('unreachable', 'unreachable')} ${f('failed', 'failed')} ${f('skipped', 'skipped')} ${f('rescued', 'rescued')} ${f('ignored', 'ignored')}`,
      );
    }
    this.write('\n');
    this.flush();
  }
}

/** debug's `msg` stands alone; its `var` value keeps the loop keys (ansible's _clean_results). */
const DEBUG_MSG_KEYS = new Set(['msg', 'exception', 'warnings', 'deprecations']);
const DEBUG_HIDDEN = new Set(['changed', 'failed', 'skipped', 'invocation', 'skip_reason']);

/** What ansible shows of a result: internal keys, failed and skipped dropped, `diff` only from -vvv. */
function visible(r: Record<string, unknown>, verbosity: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r._debug === true) {
    const keep = 'msg' in r ? (k: string) => DEBUG_MSG_KEYS.has(k) : (k: string) => !DEBUG_HIDDEN.has(k);
    for (const [k, v] of Object.entries(r)) if (keep(k) && !k.startsWith('_')) out[k] = v;
    return out;
  }
  for (const [k, v] of Object.entries(r))
    if (!k.startsWith('_') && k !== 'invocation' && k !== 'failed' && k !== 'skipped' && v !== undefined) out[k] = v;
  if (verbosity < 3) delete out.diff;
  return out;
}

/** ansible dumps results with sorted keys (json.dumps(sort_keys=True)). */
export function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** One-line JSON as the default callback writes it: json.dumps(ensure_ascii=False), keys already sorted. */
export function pyJson(v: unknown): string {
  return pyJsonDumps(v, { ensureAscii: false });
}
