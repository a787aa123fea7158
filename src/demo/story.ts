/**
 * The story `fleetplay demo` tells, chapter by chapter. Each chapter states what should happen,
 * makes it happen with the real parts (embedded server, git repository, main job), and checks
 * it: a surprise is reported and makes the demo exit non-zero.
 */
import type { Device, Release } from './fleet.js';
import type { JobOutcome } from './job.js';
import type { Narrator } from './narrate.js';
import type { Pipeline } from './pipeline.js';
import type { FleetRepo, StageBranch } from './repo.js';
import type { DeviceState, Verdict } from './state.js';
import { printTable } from './table.js';

export interface StoryFacts {
  /** Device ids changed by the run of each chapter, keyed "chapter:branch". */
  changed: Record<string, string[]>;
  /** Devices that failed the bad release on canary. */
  canaryFailures: string[];
  /** Why the gate refused production the bad release (undefined: it did not refuse). */
  gateRefusal?: string;
  secondRun?: { changed: number; writes: number };
  /** The hotfix made straight on canary: its commit, why the guard refused main → canary, whether it passed after. */
  hotfix?: { commit: string; refusal?: string; passedAfterCherryPick: boolean };
  /** Production rolling out in waves (src/demo/waves.ts). */
  waves?: WaveFacts;
  final: DeviceState[];
  surprises: string[];
}

export interface WaveFacts {
  /** Production's devices per wave, as its policy cuts the stage. */
  waves: string[][];
  /** Devices the OS deployments of the bad release's production runs named (the server's request log). */
  scheduled: string[];
  /** The plan's halt after the failure: "halted at wave 1: …". */
  halt?: string;
  /** The monitor's verdict on production then, as its commit status says it. */
  status?: { state: string; description: string };
  /** The fix: the devices each scheduled production run deployed to, run by run. */
  fixScheduled: string[][];
  /** The monitor's verdict on production once the fix reached every wave. */
  fixVerdict?: Verdict;
}

export interface Cast {
  n: Narrator;
  p: Pipeline;
  repo: FleetRepo;
  good: Release;
  bad: Release;
  /** The rollout chapters' releases: one that fails on `failsOn` hardware only, and its fix for it. */
  rolling: { bad: Release; fix: Release; failsOn: string };
  facts: StoryFacts;
}

const ids = (ds: Device[]) => ds.map((d) => d.id).sort();
const marks = (c: Cast, hostIds: string[]) => c.p.marks(hostIds);

/** Devices that follow a branch (the reported attribute first, as the job decides). */
export function followers(c: Cast, branch: string, subs: Map<string, string>, types?: string[]): Device[] {
  return c.p.devices.filter((d) => subs.get(d.id) === branch && (!types || types.includes(d.deviceType)));
}

export function expectChanged(c: Cast, key: string, r: JobOutcome, expected: Device[]): void {
  c.facts.changed[key] = [...r.changed].sort();
  const want = ids(expected);
  if (r.exitCode !== 0) c.facts.surprises.push(`${key}: the main job ended with exit code ${r.exitCode}`);
  if (want.join() !== c.facts.changed[key].join()) {
    c.facts.surprises.push(
      `${key}: expected ${marks(c, want) || 'nothing'} to change, the job changed ${marks(c, r.changed) || 'nothing'}`,
    );
  }
  if (want.length)
    c.n.say(
      `expected: ${marks(c, want)} — ${want.join() === c.facts.changed[key].join() ? 'as planned' : 'NOT as planned'}`,
    );
}

export async function promote(c: Cast, from: StageBranch, to: StageBranch): Promise<boolean> {
  const g = await c.p.gate(from, to);
  if (!g.open) {
    c.n.bad(`promotion ${from} → ${to} refused: ${g.why}`);
    if (g.hint) c.n.item(`hint: ${g.hint}`, 'dim');
    return false;
  }
  const sha = await c.repo.promote(from, to);
  c.n.good(`promotion ${from} → ${to} allowed (${g.why}); merged as ${sha.slice(0, 7)}`);
  return true;
}

/** Runs the job on a branch and checks which devices it changed. */
export async function runAndCheck(c: Cast, key: string, branch: StageBranch, types?: string[]): Promise<JobOutcome> {
  const expected = followers(c, branch, await c.p.subscriptions(), types);
  const r = await c.p.run(branch);
  expectChanged(c, key, r, expected);
  return r;
}

export function needGreen(c: Cast, what: string, verdict: string): void {
  if (verdict !== 'green') c.facts.surprises.push(`${what}: expected green, got ${verdict}`);
}

export async function chapterMain(c: Cast): Promise<void> {
  c.n.chapter(`A new OS release, ${c.good.version}, is merged to main`);
  const sha = await c.repo.release(c.good.images, `Release fleet-os ${c.good.version} for every device type`);
  c.n.say(`commit ${sha.slice(0, 7)} sets os_image to ${c.good.version} for ${Object.keys(c.good.images).join(', ')}`);
  await runAndCheck(c, '3:main', 'main');
  needGreen(c, 'main after the release', (await c.p.watch('main')).verdict);
}

/** The good release goes one stage further: gate, merge, run, monitor. */
async function promoteGood(c: Cast, chapter: number, from: StageBranch, to: StageBranch): Promise<void> {
  c.n.chapter(`Promoting ${c.good.version} to ${to}`);
  if (!(await promote(c, from, to))) c.facts.surprises.push(`the gate refused ${from} → ${to}`);
  await runAndCheck(c, `${chapter}:${to}`, to);
  needGreen(c, `${to} after the release`, (await c.p.watch(to)).verdict);
}

export const chapterCanary = (c: Cast): Promise<void> => promoteGood(c, 4, 'main', 'canary');

export async function chapterBadRelease(c: Cast): Promise<void> {
  const types = Object.keys(c.bad.images);
  c.n.chapter(`A bad release, ${c.bad.version} for ${types.join(', ')}, stops at canary`);
  const sha = await c.repo.release(c.bad.images, `Release fleet-os ${c.bad.version} for ${types.join(', ')}`);
  c.n.say(`commit ${sha.slice(0, 7)} on main; no device on main has that hardware, so main stays green`);
  await runAndCheck(c, '5:main', 'main', types);
  needGreen(c, 'main after the bad release', (await c.p.watch('main')).verdict);
  if (!(await promote(c, 'main', 'canary')))
    c.facts.surprises.push('the gate refused main → canary for the bad release');
  await runAndCheck(c, '5:canary', 'canary', types);
  const w = await c.p.watch('canary');
  c.facts.canaryFailures = w.snap.devices.filter((d) => d.state === 'failed').map((d) => d.device);
  if (w.verdict !== 'red') c.facts.surprises.push(`canary after the bad release: expected red, got ${w.verdict}`);
  const g = await c.p.gate('canary', 'production');
  c.facts.gateRefusal = g.open ? undefined : g.why;
  if (g.open) c.facts.surprises.push('the gate let the bad release through to production');
  else c.n.bad(`promotion canary → production refused: ${g.why}`);
  await recover(c, sha);
}

/** The team reverts the bad release; canary turns green again without touching production. */
async function recover(c: Cast, bad: string): Promise<void> {
  const sha = await c.repo.revert(bad);
  c.n.say(`the team reverts it on main (${sha.slice(0, 7)}) and promotes the revert to canary`);
  await c.p.run('main');
  await c.p.watch('main');
  await promote(c, 'main', 'canary');
  await c.p.run('canary');
  needGreen(c, 'canary after the revert', (await c.p.watch('canary')).verdict);
}

export const chapterProduction = (c: Cast): Promise<void> => promoteGood(c, 6, 'canary', 'production');

export async function chapterIdempotent(c: Cast): Promise<void> {
  c.n.chapter('Running the main job again on the same commit');
  const r = await c.p.run('production');
  c.facts.secondRun = { changed: r.changed.length, writes: r.writes };
  if (r.changed.length || r.writes || r.exitCode)
    c.facts.surprises.push(`second run: ${r.changed.length} changed, ${r.writes} writes, exit code ${r.exitCode}`);
  else c.n.good('0 devices changed, 0 writes to the OTA server: the fleet already is what the repository says');
}

export async function chapterTable(c: Cast): Promise<void> {
  c.n.chapter('Where every device stands');
  c.facts.final = await c.p.states();
  printTable(c.n, c.facts.final);
}
