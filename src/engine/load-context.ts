/**
 * What loading one playbook (or one include at run time) shares: where relative files are
 * found, the errors collected, the YAML reader, and the role loader (passed in: roles load task
 * files and task files import roles).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fleetError, type FleetError } from '../errors/index.js';
import { isObj } from './keywords.js';
import type { BlockNode, Inherit, RoleCtx } from './model.js';
import { posOf, type YamlReader } from './yaml.js';

export class LoadErrors {
  readonly list: FleetError[] = [];
  add(e: FleetError): void {
    this.list.push(e);
  }
  /** An error at the line where `node` was written in `file`. */
  at(code: string, message: string, file: string, node: unknown, hint: string): void {
    this.add(fleetError(code, message, { file, line: posOf(node)?.line, hint }));
  }
}

/** role-loader.ts's loadRole, as the task loader calls it for import_role. */
export type LoadRole = (
  name: string,
  ctx: Ctx,
  params: Record<string, unknown>,
  inherit: Inherit,
  from: { file: string; line: number },
  tasksFrom?: string,
) => { block: BlockNode } | undefined;

export interface Ctx {
  /** Directory relative task files are found from. */
  dir: string;
  playbookDir: string;
  errors: LoadErrors;
  /** The files this load has read. */
  yaml: YamlReader;
  loadRole: LoadRole;
}

/** Task files: relative to the role's tasks/ (inside a role), else to the including file's folder. */
export function resolveTaskFile(f: string, ctx: Ctx, role?: RoleCtx): string {
  if (isAbsolute(f)) return f;
  const candidates = [role ? join(role.path, 'tasks', f) : '', join(ctx.dir, f), join(ctx.playbookDir, f)].filter(
    Boolean,
  );
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

export function readVarsFile(path: string, ctx: Ctx): Record<string, unknown> {
  for (const p of [path, `${path}.yml`, `${path}.yaml`, join(path, 'main.yml'), join(path, 'main.yaml')]) {
    if (!existsSync(p) || p.endsWith('/')) continue;
    try {
      const y = ctx.yaml.read(p);
      if (!y.ok) {
        if (y.error.code === 'file.unreadable') continue;
        ctx.errors.add(y.error);
        return {};
      }
      if (y.value === null || y.value === undefined) return {};
      if (!isObj(y.value)) {
        ctx.errors.add(
          fleetError('vars.not-mapping', 'a vars file must be a mapping of names to values', { file: p, line: 1 }),
        );
        return {};
      }
      return y.value;
    } catch {
      continue;
    }
  }
  return {};
}
