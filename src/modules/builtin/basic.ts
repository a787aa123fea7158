/** debug, assert, fail, set_fact, pause: modules that only look at variables. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { FleetFailure } from '../../errors/index.js';
import type { ModuleDef } from '../registry.js';

const Verbosity = z.coerce.number().int().min(0).max(5).default(0);

export const debug: ModuleDef<{ msg?: unknown; var?: string; verbosity: number }> = {
  name: 'debug',
  args: z
    .object({ msg: z.unknown().optional(), var: z.string().optional(), verbosity: Verbosity })
    .strict()
    .refine(
      (a) => a.msg === undefined || a.var === undefined,
      "'msg' and 'var' are incompatible options (ansible's words): keep one",
    ),
  checkMode: true,
  // `var` is an expression, evaluated here, so templating it first would evaluate it twice.
  rawArgs: true,
  run(args, ctx) {
    const verbosity = Number(ctx.templar.template(args.verbosity, ctx.vars));
    if (verbosity > Number(ctx.vars.ansible_verbosity ?? 0))
      return { skipped: true, skipped_reason: 'Verbosity threshold not met.', changed: false };
    if (args.var !== undefined) {
      const name = String(ctx.templar.template(args.var, ctx.vars));
      let value: unknown;
      try {
        value = ctx.templar.template(`{{ ${name} }}`, ctx.vars, { file: ctx.file, line: ctx.line, host: ctx.host });
      } catch (e) {
        if (!(e instanceof FleetFailure)) throw e;
        value = 'VARIABLE IS NOT DEFINED!';
      }
      return { [name]: value, changed: false };
    }
    const msg =
      args.msg === undefined
        ? 'Hello world!'
        : ctx.templar.template(args.msg, ctx.vars, { file: ctx.file, line: ctx.line, host: ctx.host });
    return { msg, changed: false };
  },
};

export const assertModule: ModuleDef<{
  that: unknown;
  msg?: unknown;
  fail_msg?: unknown;
  success_msg?: unknown;
  quiet: boolean;
}> = {
  name: 'assert',
  args: z
    .object({
      that: z.union([z.string(), z.boolean(), z.array(z.union([z.string(), z.boolean()]))], {
        error: (i) =>
          i.input === undefined
            ? 'missing: it is required (a condition or a list of them)'
            : 'write a condition or a list of them',
      }),
      msg: z.unknown().optional(),
      fail_msg: z.unknown().optional(),
      success_msg: z.unknown().optional(),
      quiet: z
        .union([z.boolean(), z.string()])
        .default(false)
        .transform((v) => v === true || v === 'true' || v === 'yes'),
    })
    .strict(),
  checkMode: true,
  rawArgs: true,
  run(args, ctx) {
    const where = { file: ctx.file, line: ctx.line, host: ctx.host };
    const that = Array.isArray(args.that) ? args.that : [args.that];
    for (const cond of that) {
      if (!ctx.templar.conditional(cond, ctx.vars, where)) {
        const m = args.fail_msg ?? args.msg;
        return {
          failed: true,
          changed: false,
          assertion: cond,
          evaluated_to: false,
          msg: m !== undefined ? ctx.templar.template(m, ctx.vars, where) : 'Assertion failed',
        };
      }
    }
    const ok =
      args.success_msg !== undefined
        ? ctx.templar.template(args.success_msg, ctx.vars, where)
        : 'All assertions passed';
    // As ansible's assert action: the result is shown even without -v, unless quiet.
    return { changed: false, msg: ok, _ansible_verbose_always: !args.quiet };
  },
};

export const fail: ModuleDef<{ msg?: unknown }> = {
  name: 'fail',
  args: z.object({ msg: z.unknown().optional() }).strict(),
  checkMode: true,
  run(args) {
    return {
      failed: true,
      changed: false,
      msg: args.msg === undefined ? 'Failed as requested from task' : args.msg === null ? null : args.msg,
    };
  },
};

export const setFact: ModuleDef<Record<string, unknown>> = {
  name: 'set_fact',
  args: z.record(
    z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*$/,
        'not a valid variable name: write letters, digits and _, starting with a letter or _',
      ),
    z.unknown(),
  ),
  checkMode: true,
  // A templated name is only known once templated (it may wait for the apply itself).
  facts: (args) => {
    const names = Object.keys(args).filter((k) => k !== 'cacheable');
    return names.some((k) => k.includes('{')) ? undefined : names;
  },
  run(args) {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (k !== 'cacheable') facts[k] = boolLike(v);
    return { changed: false, ansible_facts: facts };
  },
};

/** set_fact's own rule (action/set_fact.py): a text true/false/yes/no, any case, is stored as a bool. */
function boolLike(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const l = v.toLowerCase();
  return l === 'true' || l === 'yes' ? true : l === 'false' || l === 'no' ? false : v;
}

export const pause: ModuleDef<{ seconds?: number; minutes?: number; prompt?: string }> = {
  name: 'pause',
  args: z
    .object({
      seconds: z.coerce.number().optional(),
      minutes: z.coerce.number().optional(),
      prompt: z.string().optional(),
      echo: z.unknown().optional(),
    })
    .strict(),
  checkMode: true,
  // One pause for the play, not one per host (ansible pauses once).
  bypassHostLoop: true,
  async run(args) {
    const secs = (args.seconds ?? 0) + (args.minutes ?? 0) * 60;
    if (secs === 0 && args.minutes === undefined && args.seconds === undefined) {
      return {
        failed: true,
        msg: 'pause without seconds/minutes waits for a keypress; write pause: seconds=N (runs are unattended)',
      };
    }
    const start = Date.now();
    await sleep(secs * 1000);
    return {
      changed: false,
      delta: Math.round((Date.now() - start) / 1000),
      echo: true,
      rc: 0,
      start: new Date(start).toISOString(),
      stop: new Date().toISOString(),
      stderr: '',
      stdout: `Paused for ${secs} seconds`,
      user_input: '',
    };
  },
};
