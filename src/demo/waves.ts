/**
 * The demo's rollout chapters. Production gets a rollout policy in fleetplay.yml, where an operator
 * puts it; a release that fails only on the Raspberry Pi 2 — hardware that neither main nor canary
 * has — passes both stages, then halts after production's first wave, which holds that one
 * device: the OTA server's request log shows no deployment for any device of a later wave. The
 * fix starts again at wave 1 and reaches every device wave by wave, each wave after the one
 * before has soaked, on the update workflow's hourly schedule.
 */
import { formatError } from '../errors/index.js';
import { haltOf } from '../plan/index.js';
import { assignWaves, rolloutPolicyOf } from '../rollout/index.js';
import { STAGES_FILE } from '../stage/stages.js';
import type { Device } from './fleet.js';
import type { JobOutcome } from './job.js';
import { expectChanged, followers, needGreen, promote, runAndCheck, type Cast, type WaveFacts } from './story.js';

/** The update workflow runs on every push and, for the waves, hourly (docs/configuration.md). */
const SCHEDULE_MS = 3_600_000;

/** What the operator commits: production in three waves, the Raspberry Pi 2 first, no failure allowed. */
const ROLLOUT = `rollout:
  production:
    waves: [25%, 50%, 100%]
    first: [raspberrypi2]   # hardware that canary does not have goes first
    max_failed: 0
    soak: 30m
`;

const FLEETPLAY_YML = `# The promotion stages, lowest first.
stages: [main, canary, production]

# Production rolls out in waves (docs/configuration.md, "Rollout waves").
${ROLLOUT}`;

const facts = (c: Cast): WaveFacts => (c.facts.waves ??= { waves: [], scheduled: [], fixScheduled: [] });

/** Production's devices per wave, as the policy on the production branch cuts the stage. */
async function productionWaves(c: Cast): Promise<string[][]> {
  await c.repo.checkout('production');
  const policy = rolloutPolicyOf(c.repo.dir, 'production');
  if (!policy.ok) throw new Error(policy.error.map(formatError).join('\n'));
  if (!policy.value) return [];
  const members = followers(c, 'production', await c.p.subscriptions()).map((d) => ({
    host: d.name,
    device: d.id,
    groups: d.groups,
  }));
  return assignWaves(members, policy.value).map((wave) => [...wave].sort());
}

const devicesOf = (c: Cast, ids: readonly string[]): Device[] => c.p.devices.filter((d) => ids.includes(d.id));

/** A release goes through main and canary as every release does: run, monitor, promote. */
async function throughCanary(c: Cast, chapter: number, types?: string[]): Promise<void> {
  await runAndCheck(c, `${chapter}:main`, 'main', types);
  needGreen(c, `main in chapter ${chapter}`, (await c.p.watch('main')).verdict);
  if (!(await promote(c, 'main', 'canary')))
    c.facts.surprises.push(`chapter ${chapter}: the gate refused main → canary`);
  await runAndCheck(c, `${chapter}:canary`, 'canary', types);
  needGreen(c, `canary in chapter ${chapter}`, (await c.p.watch('canary')).verdict);
  if (!(await promote(c, 'canary', 'production')))
    c.facts.surprises.push(`chapter ${chapter}: the gate refused canary → production`);
}

/** The OS deployments the server created in a run (its request log) name exactly one wave's devices. */
function expectDeployed(c: Cast, key: string, r: JobOutcome, wave: readonly string[]): void {
  const want = [...wave].sort();
  const as = want.join() === r.deployed.join() ? 'as planned' : 'NOT as planned';
  if (as !== 'as planned')
    c.facts.surprises.push(
      `${key}: expected OS deployments for ${c.p.marks(want)}, the server created them for ${c.p.marks(r.deployed) || 'nothing'}`,
    );
  c.n.say(`OS deployments the server created (its request log): ${c.p.marks(r.deployed) || 'none'} — ${as}`);
}

/** The update workflow's next scheduled run on production, an hour of simulated time later. */
async function scheduledRun(c: Cast, why: string): Promise<JobOutcome> {
  await c.p.pass(SCHEDULE_MS);
  c.n.say(`an hour later the update workflow runs on its schedule: ${why}`);
  return c.p.run('production');
}

export async function chapterWavesHalt(c: Cast): Promise<void> {
  const { bad, failsOn } = c.rolling;
  c.n.chapter(`Production rolls out in waves: ${bad.version}, bad on ${failsOn}, halts after the first`);
  const policy = await c.repo.commit(STAGES_FILE, FLEETPLAY_YML, 'Production rolls out in waves');
  c.n.say(`commit ${policy.slice(0, 7)} on main gives production a rollout policy in ${STAGES_FILE}:`);
  for (const line of ROLLOUT.trimEnd().split('\n')) c.n.item(line, 'dim');
  const sha = await c.repo.release(bad.images, `Release fleet-os ${bad.version} for every device type`);
  c.n.say(
    `commit ${sha.slice(0, 7)} releases ${bad.version} for every device type; it fails on ${failsOn}, which only production has`,
  );
  await throughCanary(c, 8);
  const f = facts(c);
  f.waves = await productionWaves(c);
  await expectFirstWave(c, f.waves[0] ?? []);
  const first = await c.p.run('production');
  // Configuration follows the waves too (docs/configuration.md): wave 1 alone gets the new one now.
  expectChanged(c, '8:production', first, devicesOf(c, f.waves[0] ?? []));
  c.n.say('OS images and configuration go wave by wave:');
  expectDeployed(c, '8:production', first, f.waves[0] ?? []);
  const failed = await c.p.watch('production');
  if (failed.verdict !== 'red') c.facts.surprises.push(`production after wave 1: expected red, got ${failed.verdict}`);
  const again = await scheduledRun(c, 'it sees the failure and halts the rollout');
  expectChanged(c, '8:production-scheduled', again, []);
  f.halt = haltOf(again.plan);
  await tellHalt(c, [...first.deployed, ...again.deployed]);
}

/** `first: [raspberrypi2]` puts the stage's Raspberry Pi 2 — one device — alone in wave 1. */
async function expectFirstWave(c: Cast, wave: readonly string[]): Promise<void> {
  const { failsOn } = c.rolling;
  const want = followers(c, 'production', await c.p.subscriptions(), [failsOn]).map((d) => d.id);
  if (c.p.marks(wave) !== c.p.marks(want))
    c.facts.surprises.push(`wave 1 should hold the ${failsOn} ${c.p.marks(want)} alone, it holds ${c.p.marks(wave)}`);
}

/** The monitor's verdict on the halted rollout, and what the OTA server was asked to deploy. */
async function tellHalt(c: Cast, deployed: string[]): Promise<void> {
  const f = facts(c);
  const { snap } = await c.p.watch('production');
  f.status = { state: snap.verdict.commitState, description: snap.verdict.summary };
  c.n.say(`the monitor's commit status: fleetplay/production ${f.status.state}, "${f.status.description}"`);
  if (f.status.state !== 'failure' || !snap.rollout?.halted)
    c.facts.surprises.push(`production's status after the halt: ${f.status.state}, "${f.status.description}"`);
  f.scheduled = [...new Set(deployed)].sort();
  const later = f.waves.slice(1).flat();
  const reached = f.scheduled.filter((id) => later.includes(id));
  if (reached.length) c.facts.surprises.push(`the halted release reached ${c.p.marks(reached)} of a later wave`);
  else
    c.n.good(
      `the server's request log: ${c.rolling.bad.version} was deployed to ${c.p.marks(f.scheduled)} alone; ${c.p.marks(later)} of the later waves were never scheduled`,
    );
}

export async function chapterWavesFix(c: Cast): Promise<void> {
  const { fix, failsOn } = c.rolling;
  c.n.chapter(`The fix, ${fix.version} for ${failsOn}, starts again at wave 1`);
  const sha = await c.repo.release(fix.images, `Release fleet-os ${fix.version} for ${failsOn}`);
  c.n.say(
    `commit ${sha.slice(0, 7)} on main; main and canary have no ${failsOn}, so nothing changes there and both stay green`,
  );
  await throughCanary(c, 9, [failsOn]);
  const f = facts(c);
  const waves = await productionWaves(c);
  for (const [k, wave] of waves.entries()) {
    const r =
      k === 0
        ? await c.p.run('production')
        : await scheduledRun(c, `wave ${k} has been healthy for its soak, wave ${k + 1} starts`);
    expectChanged(c, `9:production-wave-${k + 1}`, r, devicesOf(c, wave));
    expectDeployed(c, `9:production-wave-${k + 1}`, r, wave);
    f.fixScheduled.push(r.deployed);
  }
  f.fixVerdict = (await c.p.watch('production')).verdict;
  needGreen(c, 'production after the fix', f.fixVerdict);
}
