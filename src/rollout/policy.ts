/**
 * A stage's rollout policy: `rollout:` in fleetplay.yml, one entry per stage, next to the stage
 * list it belongs to (the one file every command already reads). Written by people as
 * `waves: [1%, 10%, 50%, 100%]`, `soak: 2h`…; normalized here into `RolloutPolicy`, the JSON form
 * the run passes to mender_os_update (`fleetplay_rollout`) and the monitor reads again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { readYamlFile, type YamlFile } from '../inventory/yaml-file.js';
import { DEFAULT_STAGES, STAGES_FILE, whereAt } from '../stage/stages.js';

/** A number of devices, or a share of the stage's devices in percent. */
export const Amount = z.union([
  z.strictObject({ count: z.number().int().min(0) }),
  z.strictObject({ share: z.number().gt(0).max(100) }),
]);
export type Amount = z.infer<typeof Amount>;

/** The normalized policy (module argument, extra variable `fleetplay_rollout`). */
export const RolloutPolicy = z.strictObject({
  /** Cumulative: wave k holds the devices up to its amount, less those of the waves before. */
  waves: z.array(Amount).min(1),
  /** Hosts, device ids or inventory groups whose devices go before the others (in wave 1). */
  first: z.array(z.string()).default([]),
  /** Failed devices a wave may have; one more halts the rollout. */
  max_failed: Amount.default({ count: 0 }),
  /** How long a finished wave must stay healthy before the next starts, in ms, and as written. */
  soak_ms: z.number().int().min(0).default(0),
  soak: z.string().default('0s'),
  /** `abort`: a halt aborts the deployments still pending in the halted wave. */
  on_halt: z.enum(['abort', 'keep']).default('keep'),
});
export type RolloutPolicy = z.infer<typeof RolloutPolicy>;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1%` or `12.5%` → a share; a whole number → a count. YAML gives `1%` as a string. */
const AmountText = z.union([z.number(), z.string()]).transform((v, ctx): Amount => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { count: v };
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
  const share = m ? Number(m[1]) : NaN;
  if (share > 0 && share <= 100) return { share };
  ctx.addIssue({
    code: 'custom',
    message: `${String(v)} is neither a number of devices nor a share above 0% up to 100%`,
  });
  return z.NEVER;
});

/** `2h`, `30m`, `1h30m`, `90s`, `1d`, `0` → ms. */
const Soak = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v).trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)];
  const whole = parts.map((p) => p[0]).join('');
  if (text === '0') return { ms: 0, text };
  if (parts.length === 0 || whole !== text.replace(/\s+/g, '')) {
    ctx.addIssue({ code: 'custom', message: `${text} is not a duration` });
    return z.NEVER;
  }
  return { ms: Math.round(parts.reduce((t, p) => t + Number(p[1]) * UNIT_MS[p[2]], 0)), text };
});

/** What people write under `rollout: <stage>:`. */
const PolicyText = z
  .strictObject({
    waves: z.array(AmountText).min(1),
    first: z.array(z.string().min(1)).default([]),
    max_failed: AmountText.default({ count: 0 }),
    soak: Soak.default({ ms: 0, text: '0s' }),
    on_halt: z.enum(['abort', 'keep']).default('keep'),
  })
  .superRefine((p, ctx) => {
    for (const issue of waveOrder(p.waves)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .transform((p): RolloutPolicy => ({
    waves: p.waves,
    first: p.first,
    max_failed: p.max_failed,
    soak_ms: p.soak.ms,
    soak: p.soak.text,
    on_halt: p.on_halt,
  }));

/** Waves grow (counts among counts, shares among shares) and the last takes every device. */
function waveOrder(waves: Amount[]): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const last = waves[waves.length - 1];
  if (!('share' in last) || last.share !== 100)
    out.push({ path: ['waves', waves.length - 1], message: 'the last wave must be 100% (every device of the stage)' });
  for (let i = 1; i < waves.length; i++) {
    const [a, b] = [waves[i - 1], waves[i]];
    const shrinks =
      'share' in a && 'share' in b ? b.share <= a.share : 'count' in a && 'count' in b && b.count <= a.count;
    if (shrinks)
      out.push({ path: ['waves', i], message: 'waves are cumulative: each must be larger than the one before' });
  }
  return out;
}

const HINT =
  'write e.g. "rollout: {production: {waves: [1%, 10%, 50%, 100%], first: [kiosk-campus], max_failed: 1, soak: 2h, on_halt: abort}}" (docs/configuration.md, "Rollout waves")';

/** Stage → policy from `rollout:` of fleetplay.yml; stages without one roll out in one wave. */
export function loadRolloutPolicies(repoDir: string): Result<Map<string, RolloutPolicy>, FleetError[]> {
  const path = join(repoDir, STAGES_FILE);
  if (!existsSync(path)) return ok(new Map());
  const read = readYamlFile(path);
  if (!read.ok) return read;
  return parsePolicies(read.value);
}

export function parsePolicies(file: YamlFile): Result<Map<string, RolloutPolicy>, FleetError[]> {
  const data = (file.data ?? {}) as { rollout?: unknown; stages?: unknown };
  if (data.rollout === undefined || data.rollout === null) return ok(new Map());
  const parsed = z.record(z.string(), PolicyText).safeParse(data.rollout);
  if (!parsed.success) return err(parsed.error.issues.map((i) => issueError(file, i)));
  const stages: readonly unknown[] = Array.isArray(data.stages) ? data.stages : DEFAULT_STAGES;
  const strays = Object.keys(parsed.data).filter((s) => !stages.includes(s));
  if (strays.length)
    return err(
      strays.map((s) => policyError(file, ['rollout', s], `${s} is not a stage (stages: ${stages.join(', ')})`)),
    );
  return ok(new Map(Object.entries(parsed.data)));
}

/** An unknown key is named at its own line, with the keys a policy has. */
function issueError(file: YamlFile, i: z.core.$ZodIssue): FleetError {
  if (i.code !== 'unrecognized_keys') return policyError(file, ['rollout', ...i.path], i.message);
  const known = 'waves, first, max_failed, soak, on_halt';
  return policyError(
    file,
    ['rollout', ...i.path, i.keys[0]],
    `unknown key ${i.keys.join(', ')} (a policy has ${known})`,
  );
}

function policyError(file: YamlFile, path: PropertyKey[], message: string): FleetError {
  return fleetError('rollout.invalid', `${STAGES_FILE}: ${path.join('.')}: ${message}`, {
    ...whereAt(file, path),
    hint: HINT,
  });
}

/** The policy of `stage`, if any. */
export function rolloutPolicyOf(repoDir: string, stage: string): Result<RolloutPolicy | undefined, FleetError[]> {
  const all = loadRolloutPolicies(repoDir);
  return all.ok ? ok(all.value.get(stage)) : all;
}

/** `1%` / `40` for messages. */
export const amountText = (a: Amount): string => ('share' in a ? `${a.share}%` : String(a.count));
