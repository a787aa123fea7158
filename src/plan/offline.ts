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
import { isSecretKey } from '../log/index.js';
import { startServer } from '../server/index.js';
import type { FailedHost } from './comment.js';
import { planDryRun, type DryRunOptions } from './dry-run.js';
import type { ConfigMap } from '../ota/schemas.js';
import { fails, wantedImage, type ConfigDecision, type DevicePlan, type OsDecision, type Plan } from './model.js';

export interface TreeState {
  /** The run's plan against devices that run what the tree asks for and hold no configuration. */
  plan: Plan;
  failures: FailedHost[];
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
  return Object.fromEntries(names.filter((n) => isSecretKey(n) && !env[n]).map((n) => [n, ABSENT_SECRET]));
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
    return { plan: r.plan, failures: r.failures, exitCode: r.result.exitCode };
  } finally {
    await server.close();
  }
}

/** What a tree wants of a device: its image, and (no configuration on the server) every key's value. */
const desired = (d: DevicePlan | undefined) => ({
  image: d ? wantedImage(d.os) : undefined,
  config: d?.config.action === 'set' ? (d.config.values ?? {}) : undefined,
});

/**
 * The merged tree's desires against the base tree's, device by device, in the merged tree's order.
 * A device the merged tree's run failed or left to another stage keeps that decision.
 */
export function repositoryPlan(base: TreeState, head: TreeState): Plan {
  const before = new Map(base.plan.devices.filter((d) => !d.other_stage).map((d) => [d.device_id, d]));
  const devices = head.plan.devices.map((d): DevicePlan => {
    if (d.other_stage || fails(d)) return d;
    const want = desired(d);
    const had = desired(before.get(d.device_id));
    return {
      host: d.host,
      device_id: d.device_id,
      os: osDecision(had.image, want.image),
      config: configDecision(had.config, want.config),
    };
  });
  return { schema: 'fleetplay.plan/1', devices };
}

function osDecision(had: string | undefined, want: string | undefined): OsDecision {
  if (!want) return { action: 'none' };
  return had === want ? { action: 'none', to: want } : { action: 'deploy', from: had, to: want };
}

function configDecision(had: ConfigMap | undefined, want: ConfigMap | undefined): ConfigDecision {
  if (!want) return { action: 'none' };
  const from = had ?? {};
  const same = (k: string) => JSON.stringify(from[k]) === JSON.stringify(want[k]);
  const added = Object.keys(want).filter((k) => !(k in from));
  const changed = Object.keys(want).filter((k) => k in from && !same(k));
  const removed = Object.keys(from).filter((k) => !(k in want));
  return added.length + changed.length + removed.length
    ? { action: 'set', added: added.sort(), changed: changed.sort(), removed: removed.sort() }
    : { action: 'none', checked: true };
}
