/**
 * The plan from the repository alone, for pull requests that get no secrets (forks): no OTA
 * server is asked. The stage's playbook runs dry twice — on the base branch's tree and on the
 * merged tree — each against an embedded server in memory whose devices are the tree's own
 * inventory, every one already running the image that tree asks for and holding no configuration.
 * What each run would set is then what that tree desires; the plan is the difference.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isSecretName } from '../log/index.js';
import { startServer } from '../server/index.js';
import type { HostFailure } from './comment.js';
import { planDryRun, type DryRunOptions } from './dry-run.js';
import type { ConfigDecision, DevicePlan, OsDecision, Plan } from './model.js';

interface Desired {
  image?: string;
  config?: Record<string, unknown>;
}

export interface TreeState {
  /** Device id → what the tree asks for, for the devices of the stage. */
  desired: Map<string, Desired>;
  /** Host → device id, every host of the run. */
  devices: Record<string, string>;
  failures: HostFailure[];
  exitCode: number;
}

/** Stands in for a secret the job did not get: configuration values are never shown, only keys. */
export const ABSENT_SECRET = 'not-available-to-this-pull-request';

/** Secret-looking variables the playbook reads with lookup('env', …) that the job was not given. */
export function absentSecrets(playbook: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const files = readdirSync(dirname(playbook), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const names = files.flatMap((e) =>
    [...readFileSync(join(e.parentPath, e.name), 'utf8').matchAll(/lookup\(\s*['"]env['"]\s*,\s*['"](\w+)['"]/g)].map(
      (m) => m[1],
    ),
  );
  return Object.fromEntries(names.filter((n) => isSecretName(n) && !env[n]).map((n) => [n, ABSENT_SECRET]));
}

/** What one tree (a checkout) desires for the stage's devices. */
export async function desiredState(o: DryRunOptions & { playbook: string; inventory: string[] }): Promise<TreeState> {
  const token = randomBytes(16).toString('hex');
  const server = await startServer({
    memory: true,
    clock: 'manual',
    tokens: [token],
    spec: { artifacts: [], devices: [] },
    inventory: o.inventory,
  });
  try {
    const base = o.env ?? process.env;
    const env = { ...base, ...absentSecrets(o.playbook, base), MENDER_ACCESS_TOKEN: token };
    const r = await planDryRun({ ...o, env, server: server.url });
    const desired = new Map<string, Desired>();
    for (const e of r.result.report.plan) {
      const id = e.device_id ?? e.host;
      const d = desired.get(id) ?? desired.set(id, {}).get(id)!;
      if (e.kind === 'os' && typeof e.to === 'string') d.image = e.to;
      if (e.kind === 'config' && e.to && typeof e.to === 'object') d.config = e.to as Record<string, unknown>;
    }
    return { desired, devices: r.result.report.devices ?? {}, failures: r.failures, exitCode: r.result.exitCode };
  } finally {
    await server.close();
  }
}

/** The merged tree's desires against the base tree's, device by device, in the merged tree's order. */
export function repositoryPlan(base: TreeState, head: TreeState): Plan {
  const devices: DevicePlan[] = Object.entries(head.devices).map(([host, id]) => {
    const want = head.desired.get(id);
    const had = base.desired.get(id);
    return { host, device_id: id, os: osDecision(had, want), config: configDecision(had, want) };
  });
  return { schema: 'fleetplay.plan/1', devices };
}

function osDecision(had: Desired | undefined, want: Desired | undefined): OsDecision {
  if (!want?.image || had?.image === want.image) return { action: 'none' };
  return { action: 'deploy', from: had?.image, to: want.image };
}

function configDecision(had: Desired | undefined, want: Desired | undefined): ConfigDecision {
  if (!want?.config) return { action: 'none' };
  const from = had?.config ?? {};
  const to = want.config;
  const same = (k: string) => JSON.stringify(from[k]) === JSON.stringify(to[k]);
  const added = Object.keys(to).filter((k) => !(k in from));
  const changed = Object.keys(to).filter((k) => k in from && !same(k));
  const removed = Object.keys(from).filter((k) => !(k in to));
  return added.length + changed.length + removed.length
    ? { action: 'set', added: added.sort(), changed: changed.sort(), removed: removed.sort() }
    : { action: 'none' };
}
