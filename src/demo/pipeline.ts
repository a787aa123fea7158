/**
 * The promotion pipeline the demo walks through: runs of the main job, the monitor's verdict per
 * stage (after letting simulated time pass), and the gate that allows a promotion only from the
 * stage just below and only when that stage is green on its current commit.
 */
import { simpleGit } from 'simple-git';
import type { FleetError } from '../errors/index.js';
import type { MenderClient } from '../ota/index.js';
import { checkUnmodified } from '../promote/guard.js';
import type { Device } from './fleet.js';
import { runMainJob, type JobContext, type JobOutcome } from './job.js';
import type { Narrator } from './narrate.js';
import type { StageBranch } from './repo.js';
import type { Snapshot } from '../monitor/index.js';
import { haltOf, osChanges, waveRows, type WaveRow } from '../plan/index.js';
import {
  statesOf,
  subscriptions,
  verdictOf,
  watchBranch,
  type Clock,
  type DeviceState,
  type Verdict,
} from './state.js';

export const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;

export class Pipeline {
  /** The latest run of each branch: what the monitor compares the fleet with. */
  private readonly lastRun = new Map<string, JobOutcome>();
  private simulatedMs = 0;
  /** The monitor's verdict per stage, on the commit it watched. */
  readonly verdicts = new Map<string, { commit: string; verdict: Verdict }>();
  readonly runs: JobOutcome[] = [];

  constructor(
    private readonly job: JobContext,
    private readonly client: MenderClient,
    readonly devices: Device[],
    private readonly n: Narrator,
  ) {}

  label(id: string): string {
    const d = this.devices.find((x) => x.id === id);
    return d ? `${d.mark} ${d.name}` : id;
  }

  /** `①③`: the marks of some devices, in order. */
  marks(ids: readonly string[]): string {
    return ids
      .map((id) => this.label(id).split(' ')[0])
      .sort()
      .join('');
  }

  async run(branch: StageBranch): Promise<JobOutcome> {
    const r = await runMainJob(this.job, branch);
    this.runs.push(r);
    this.lastRun.set(branch, r);
    this.tellRun(r);
    return r;
  }

  private tellRun(r: JobOutcome): void {
    const head = `main job on ${r.branch} @ ${r.commit.slice(0, 7)}:`;
    if (r.changed.length === 0)
      this.n.say(`${head} nothing to change (${plural(r.writes, 'write')} to the OTA server)`);
    else
      this.n.say(
        `${head} ${plural(r.changed.length, 'device')} to update, ${plural(r.writes, 'write')} to the OTA server`,
      );
    for (const host of r.changed) this.n.item(`${this.label(host)}: ${this.whatChanged(r, host)}`, 'yellow');
    for (const host of r.failed) this.n.bad(`${this.label(host)}: the job could not handle this device`);
    for (const p of r.problems) this.n.item(p, 'red');
    this.tellWaves(r);
  }

  /** A stage that rolls out in waves: each wave's devices as the plan decided them, and why the rest wait. */
  private tellWaves(r: JobOutcome): void {
    const rows = waveRows(r.plan);
    for (const row of rows) {
      const members = r.plan.filter((d) => d.wave === row.wave && !d.other_stage).map((d) => d.device_id);
      this.n.item(`wave ${row.wave} ${this.marks(members)}: ${waveWords(row)}`);
    }
    const halt = haltOf(r.plan);
    const waiting = rows.find((row) => row.why !== undefined)?.why;
    if (halt) this.n.item(`✘ ${halt}: nothing more is scheduled for this release`, 'red');
    else if (waiting) this.n.item(`later: ${waiting}`, 'dim');
  }

  private whatChanged(r: JobOutcome, id: string): string {
    const d = r.plan.find((p) => p.device_id === id);
    const os = d && osChanges(d.os) && d.os.to !== d.os.from ? d.os : undefined;
    const parts = os ? [`OS ${os.from ?? '?'} → ${os.to}`] : [];
    if (d?.config.action === 'set') parts.push('new configuration');
    return parts.join(', ') || 'updated';
  }

  /** The monitor follows the branch's latest run, letting simulated time pass, until it settles. */
  async watch(branch: StageBranch): Promise<{ verdict: Verdict; snap: Snapshot }> {
    const before = this.simulatedMs;
    const snap = await watchBranch(this.client, this.runOf(branch), this.clock());
    const verdict = verdictOf(snap);
    this.verdicts.set(branch, { commit: snap.commit ?? '', verdict });
    this.tellWatch(snap, verdict, this.simulatedMs - before);
    return { verdict, snap };
  }

  private runOf(branch: string): JobOutcome {
    const r = this.lastRun.get(branch);
    if (!r) throw new Error(`the main job has not run on ${branch} yet`);
    return r;
  }

  /** Lets simulated time pass without looking, as between two scheduled runs of the update workflow. */
  async pass(ms: number): Promise<void> {
    await this.clock().advance(ms);
  }

  private clock(): Clock {
    return {
      advance: async (ms) => {
        await this.job.server.admin('POST', 'clock/advance', { seconds: ms / 1000 });
        this.simulatedMs += ms;
      },
      now: () => this.simulatedMs,
    };
  }

  private tellWatch(snap: Snapshot, verdict: Verdict, waited: number): void {
    const after = waited ? ` after ${plural(waited / 60_000, 'simulated minute')}` : '';
    this.n.say(`monitor of ${snap.branch}${after}: ${snap.verdict.summary}`);
    for (const d of statesOf(this.devices, [snap]).filter((x) => x.status !== 'not subscribed')) {
      const tone = d.status === 'converged' ? 'green' : d.status === 'failed' ? 'red' : 'yellow';
      const why = snap.devices.find((x) => x.device === d.device.id)?.why;
      this.n.item(
        `${this.label(d.device.id)}: ${d.status}, runs ${d.installed}${d.status === 'converged' ? '' : ` (${why})`}`,
        tone,
      );
    }
    const red = snap.rollout?.halted ? 'red: its rollout halted' : 'red: updates failed';
    if (verdict === 'green') this.n.good(`${snap.branch} is green`);
    else this.n.bad(`${snap.branch} is ${verdict === 'red' ? red : 'still pending'}`);
  }

  subscriptions(): Promise<Map<string, string>> {
    return subscriptions(this.client, this.devices);
  }

  /** Every device as the monitor of its branch sees it now (one look per branch that ran). */
  async states(): Promise<DeviceState[]> {
    const snaps = await Promise.all(
      [...this.lastRun.values()].map((r) => watchBranch(this.client, r, this.clock(), false)),
    );
    return statesOf(this.devices, snaps);
  }

  /**
   * The promotion gate: only from the stage just below, only when it is green on its head commit,
   * only when the merge lands that commit's tree unmodified (fleetplay guard's own check).
   */
  async gate(from: StageBranch, to: StageBranch): Promise<{ open: boolean; why: string; hint?: string }> {
    if (this.job.repo.stages.below(to) !== from)
      return { open: false, why: `${to} only takes promotions from the stage just below it` };
    const head = await this.job.repo.head(from);
    const v = this.verdicts.get(from);
    // The monitor's verdict counts only for the commit it watched: the head of the source stage.
    if (!v || v.commit !== head) return { open: false, why: `${from} @ ${head.slice(0, 7)} has no verdict yet` };
    if (v.verdict !== 'green') return { open: false, why: `${from} @ ${head.slice(0, 7)} is ${v.verdict}, not green` };
    const changed = await this.modified(from, to, head);
    if (changed) return { open: false, why: changed.message, hint: changed.hint };
    return { open: true, why: `${from} @ ${head.slice(0, 7)} is green and lands unmodified` };
  }

  /** The guard's unmodified check on the demo's repository (one repository: no fork to tell apart). */
  private async modified(from: StageBranch, to: StageBranch, headSha: string): Promise<FleetError | undefined> {
    const repo = this.job.repo;
    const where = { repository: 'demo', headRepository: 'demo' };
    const p = { base: to, head: from, baseSha: await repo.head(to), headSha, ...where };
    const r = await checkUnmodified(simpleGit(repo.dir), p);
    return r.ok ? r.value : r.error;
  }
}

/** `1 installed, 1 scheduled now`: a wave's devices by what the run decided for their OS. */
function waveWords(row: WaveRow): string {
  const parts: [number, string][] = [
    [row.installed, 'installed'],
    [row.scheduled, 'scheduled now'],
    [row.in_flight, 'in flight'],
    [row.failed, 'failed'],
    [row.later, 'later'],
  ];
  return parts
    .filter(([k]) => k > 0)
    .map(([k, word]) => `${k} ${word}`)
    .join(', ');
}
