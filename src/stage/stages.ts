import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isNode } from 'yaml';
import { z } from 'zod';
import { fleetError, type FleetError, type Result, type Where } from '../errors/index.js';
import { readYamlFile, whereIn, type YamlFile } from '../inventory/yaml-file.js';
import { declareSecretKeys } from '../log/index.js';

/**
 * The promotion stages of a fleet repository, lowest first: configured once in `fleetplay.yml`
 * at the repository's root (`stages: [main, canary, production]`), read by every command.
 * Without the file the stages are the default below.
 */
export const STAGES_FILE = 'fleetplay.yml';
export const DEFAULT_STAGES = ['main', 'canary', 'production'] as const;

/** A git branch name that can be a stage: no spaces, no `..`, nothing git refuses in a ref. */
const branchName = z
  .string()
  .min(1)
  .regex(/^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._/-]+$/, 'a branch name (letters, digits, . _ / -)');

/** A configuration key as the device configuration template writes it: `wifi_psk`, `api-key`. */
const configKey = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a configuration key (letters, digits, _ . -)');

export const StagesConfig = z
  .object({
    stages: z
      .array(branchName)
      .min(1)
      .refine((s) => new Set(s).size === s.length, 'each stage once'),
    /** Rollout policy per stage (waves, soak, halt): validated by src/rollout/policy.ts. */
    rollout: z.unknown().optional(),
    /**
     * Configuration keys whose values are secret wherever they show (desired, configured on the
     * server, reported by a device), besides DEFAULT_SECRET_KEYS and secret-looking names.
     */
    secret_keys: z.array(configKey).optional(),
  })
  .strict();
export type StagesConfig = z.infer<typeof StagesConfig>;

/** The ordered stage list with the questions every command asks of it. */
export class StageList {
  constructor(
    readonly names: readonly string[],
    /** Where the list came from: the file's path, or `default`. */
    readonly source: string,
  ) {}

  static default(): StageList {
    return new StageList(DEFAULT_STAGES, 'default');
  }

  has(branch: string): boolean {
    return this.names.includes(branch);
  }

  /** The stage a promotion into `stage` comes from (main for canary), if any. */
  below(stage: string): string | undefined {
    const i = this.names.indexOf(stage);
    return i > 0 ? this.names[i - 1] : undefined;
  }

  /** The stage `stage` promotes into (canary for main), if any. */
  above(stage: string): string | undefined {
    const i = this.names.indexOf(stage);
    return i >= 0 ? this.names[i + 1] : undefined;
  }

  /** `main → canary → production`, for messages. */
  toString(): string {
    return this.names.join(' → ');
  }
}

/** Reads `fleetplay.yml` of the repository at `repoDir`; the default list when there is none. */
export function loadStageList(repoDir: string): Result<StageList, FleetError[]> {
  const path = join(repoDir, STAGES_FILE);
  if (!existsSync(path)) return { ok: true, value: StageList.default() };
  const read = readYamlFile(path);
  if (!read.ok) return read;
  const parsed = StagesConfig.safeParse(read.value.data ?? {});
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => stagesError(read.value, i)) };
  // Every command reads this file first: from here on the declared keys are masked in all it prints.
  declareSecretKeys(parsed.data.secret_keys ?? []);
  return { ok: true, value: new StageList(parsed.data.stages, path) };
}

/** `branch` is not one of the stages; says where the list comes from and how to change it. */
export function notAStage(branch: string, stages: StageList): FleetError {
  const from = stages.source === 'default' ? `the default; ${STAGES_FILE} changes it` : stages.source;
  return fleetError('stages.not-a-stage', `${branch} is not a stage branch (${stages.toString()}, ${from})`, {
    hint: `name a stage (${stages.names.join(', ')}), or add ${branch} to "stages:" in ${STAGES_FILE}`,
  });
}

function stagesError(file: YamlFile, issue: z.core.$ZodIssue): FleetError {
  const at = issue.path.length ? issue.path.join('.') : 'the file';
  return fleetError('stages.invalid', `${STAGES_FILE}: ${at}: ${issue.message}`, {
    ...whereAt(file, issue.path),
    hint:
      issue.path[0] === 'secret_keys'
        ? 'list the configuration keys whose values are secret, e.g. "secret_keys: [wifi_psk]"'
        : `write the stages lowest first, e.g. "stages: [${DEFAULT_STAGES.join(', ')}]"`,
  });
}

/** The item itself for a list entry (whereIn walks mappings only), else the key's line. */
export function whereAt(file: YamlFile, path: readonly PropertyKey[]): Where {
  const node: unknown = path.length ? file.doc.getIn(path as unknown[], true) : undefined;
  const range = isNode(node) ? node.range : undefined;
  if (typeof path[path.length - 1] !== 'number' || !range) return whereIn(file, path);
  const pos = file.lines.linePos(range[0]);
  return { file: file.path, line: pos.line, column: pos.col };
}
