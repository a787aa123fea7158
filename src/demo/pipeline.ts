/**
 * The promotion pipeline the demo walks through: runs of the main job, the monitor's verdict per
 * stage (after letting simulated time pass), and the gate that allows a promotion only from the
 * stage just below and only when that stage is green on its current commit.
 */
import type { MenderClient } from '../ota/index.js';
import type { Device } from './fleet.js';
import { runMainJob, type JobContext, type JobOutcome } from './job.js';
import type { Narrator } from './narrate.js';
import { STAGES, type StageBranch } from './repo.js';
import { readStates, verdictOf, type DeviceState, type Verdict } from './state.js';

/** Simulated seconds per monitor look, and how many looks before giving up. */
const STEP_SECONDS = 60;
const MAX_STEPS = 20;

export const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;

export class Pipeline {
  /** What each device's branch wants, from the latest run of that branch. */
  readonly desired = new Map<string, string>();
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

  async run(branch: StageBranch): Promise<JobOutcome> {
    const r = await runMainJob(this.job, branch);
    this.runs.push(r);
    for (const p of r.plan) if (p.kind === 'os' && typeof p.to === 'string') this.desired.set(p.host, p.to);
    this.tellRun(r);
    return r;
  }

  private tellRun(r: JobOutcome): void {
    const head = `main job on ${r.branch} @ ${r.commit.slice(0, 7)}:`;
    if (r.changed.length === 0) this.n.say(`${head} nothing to change (${plural(r.writes, 'write')} to the OTA server)`);
    else this.n.say(`${head} ${plural(r.changed.length, 'device')} to update, ${plural(r.writes, 'write')} to the OTA server`);
    for (const host of r.changed) this.n.item(`${this.label(host)}: ${this.whatChanged(r, host)}`, 'yellow');
    for (const host of r.failed) this.n.bad(`${this.label(host)}: the job could not handle this device`);
    for (const p of r.problems) this.n.item(p, 'red');
  }

  private whatChanged(r: JobOutcome, host: string): string {
    const mine = r.plan.filter((p) => p.host === host);
    const os = mine.find((p) => p.kind === 'os' && p.from !== p.to && /wants/.test(p.why));
    const parts = os ? [`OS ${String(os.from)} → ${String(os.to)}`] : [];
    if (mine.some((p) => p.kind === 'config' && /differs|again/.test(p.why))) parts.push('new configuration');
    return parts.join(', ') || 'updated';
  }

  /** Lets simulated time pass until the stage has a verdict, then tells how its devices fared. */
  async watch(branch: StageBranch): Promise<{ verdict: Verdict; states: DeviceState[] }> {
    let states = await this.states();
    let waited = 0;
    for (let i = 0; i < MAX_STEPS && verdictOf(states, branch) === 'pending'; i++) {
      await this.job.server.admin('POST', 'clock/advance', { seconds: STEP_SECONDS });
      waited += STEP_SECONDS;
      states = await this.states();
    }
    const verdict = verdictOf(states, branch);
    this.verdicts.set(branch, { commit: await this.job.repo.head(branch), verdict });
    this.tellWatch(branch, verdict, states, waited);
    return { verdict, states };
  }

  private tellWatch(branch: string, verdict: Verdict, states: DeviceState[], waited: number): void {
    const after = waited ? ` after ${plural(waited / 60, 'simulated minute')}` : '';
    this.n.say(`monitor of ${branch}${after}:`);
    for (const s of states.filter((x) => x.branch === branch)) {
      if (s.status === 'failed') this.n.item(`${this.label(s.device.id)}: FAILED to install ${s.desired}, still runs ${s.installed}`, 'red');
      else this.n.item(`${this.label(s.device.id)}: ${s.status}, runs ${s.installed}`, s.status === 'up to date' ? 'green' : 'yellow');
    }
    if (verdict === 'green') this.n.good(`${branch} is green`);
    else this.n.bad(`${branch} is ${verdict === 'red' ? 'red: updates failed' : 'still pending'}`);
  }

  states(): Promise<DeviceState[]> {
    return readStates(this.client, this.devices, this.desired);
  }

  /** The promotion gate: only from the stage just below, only when it is green on its head commit. */
  async gate(from: StageBranch, to: StageBranch): Promise<{ open: boolean; why: string }> {
    if (STAGES.indexOf(to) !== STAGES.indexOf(from) + 1) return { open: false, why: `${to} only takes promotions from the stage just below it` };
    const head = await this.job.repo.head(from);
    const v = this.verdicts.get(from);
    if (!v || v.commit !== head) return { open: false, why: `${from} @ ${head.slice(0, 7)} has no verdict yet` };
    if (v.verdict !== 'green') return { open: false, why: `${from} @ ${head.slice(0, 7)} is ${v.verdict}, not green` };
    return { open: true, why: `${from} @ ${head.slice(0, 7)} is green` };
  }
}
