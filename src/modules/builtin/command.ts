/** command / shell: processes on the controller (never on the device). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { HostContext, ModuleDef, ModuleResult } from '../registry.js';

const Args = z
  .object({
    _raw_params: z.string().optional(),
    cmd: z.string().optional(),
    argv: z.array(z.string()).optional(),
    chdir: z.string().optional(),
    creates: z.string().optional(),
    removes: z.string().optional(),
    executable: z.string().optional(),
    stdin: z.string().optional(),
    strip_empty_ends: z.boolean().default(true),
  })
  .strict();
type Args = z.infer<typeof Args>;

function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Python's str(datetime.now()): local time with microseconds, "2026-12-01 19:24:12.494000". */
const stamp = (d: Date) =>
  `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds() * 1000).padStart(6, '0')}`;

/** Python's str(timedelta) for a run time: "0:00:00.004000", hours unpadded. */
function delta(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}

function exec(argv: string[], useShell: boolean, args: Args, ctx: HostContext): Promise<ModuleResult> {
  const start = new Date();
  return new Promise((done) => {
    const child = useShell
      ? spawn(args.executable ?? '/bin/sh', ['-c', argv[0]], { cwd: args.chdir, env: ctx.env })
      : spawn(argv[0], argv.slice(1), { cwd: args.chdir, env: ctx.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (args.stdin !== undefined) child.stdin.end(`${args.stdin}\n`);
    else child.stdin.end();
    const finish = (rc: number, msg: string) => {
      const end = new Date();
      const strip = (s: string) => (args.strip_empty_ends ? s.replace(/\n+$/, '') : s);
      const out = strip(stdout);
      const err = strip(stderr);
      done({
        changed: true,
        cmd: useShell ? argv[0] : argv,
        rc,
        stdout: out,
        stderr: err,
        stdout_lines: out ? out.split('\n') : [],
        stderr_lines: err ? err.split('\n') : [],
        start: stamp(start),
        end: stamp(end),
        delta: delta(end.getTime() - start.getTime()),
        msg,
        failed: rc !== 0,
      });
    };
    child.on('error', (e) => finish(2, `[Errno 2] No such file or directory: ${argv[0]} (${e.message})`));
    child.on('close', (code) => finish(code ?? 1, code === 0 ? '' : 'non-zero return code'));
  });
}

function make(name: 'command' | 'shell'): ModuleDef<Args> {
  return {
    name,
    args: Args,
    checkMode: false,
    freeForm: '_raw_params',
    async run(args, ctx) {
      const line = args.cmd ?? args._raw_params;
      const argv = args.argv ?? (line ? (name === 'shell' ? [line] : splitCommand(line)) : []);
      if (!argv.length) return { failed: true, changed: false, msg: 'no command given', rc: 256 };
      const base = args.chdir ?? process.cwd();
      const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
      if (args.creates && existsSync(at(args.creates)))
        return {
          changed: false,
          cmd: argv,
          rc: 0,
          stdout: `skipped, since ${args.creates} exists`,
          stdout_lines: [`skipped, since ${args.creates} exists`],
          stderr: '',
          stderr_lines: [],
          msg: 'Did not run command since ' + `'${args.creates}' exists`,
        };
      if (args.removes && !existsSync(at(args.removes)))
        return {
          changed: false,
          cmd: argv,
          rc: 0,
          stdout: `skipped, since ${args.removes} does not exist`,
          stdout_lines: [`skipped, since ${args.removes} does not exist`],
          stderr: '',
          stderr_lines: [],
          msg: `Did not run command since '${args.removes}' does not exist`,
        };
      return exec(argv, name === 'shell', args, ctx);
    },
  };
}

export const command = make('command');
export const shell = make('shell');
