/**
 * The throw-away fleet repository of the demo: the project's inventory/ and playbooks/ in a
 * temp dir, committed on main, with the stage branches canary and production. Releases are
 * commits on main; promotions are merges into the next stage, as a merged pull request does.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { formatError } from '../errors/index.js';
import { DEFAULT_STAGES, loadStageList, type StageList } from '../stage/stages.js';

/** The story is told on the default stages; the repository's list (fleetplay.yml) decides the rest. */
export type StageBranch = (typeof DEFAULT_STAGES)[number];

const ALL_VARS = join('inventory', 'group_vars', 'all.yml');

export class FleetRepo {
  private constructor(
    readonly dir: string,
    private readonly git: SimpleGit,
    /** The stages of the repository: fleetplay.yml's, else the default. */
    readonly stages: StageList,
  ) {}

  /** Copies what a fleet repository holds from the project and makes the first commit. */
  static async create(projectDir: string, extra: Record<string, string> = {}): Promise<FleetRepo> {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplay-demo-'));
    for (const sub of ['inventory', 'playbooks']) {
      if (existsSync(join(projectDir, sub))) cpSync(join(projectDir, sub), join(dir, sub), { recursive: true });
    }
    for (const [path, text] of Object.entries(extra)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const stages = loadStageList(dir);
    if (!stages.ok) throw new Error(stages.error.map(formatError).join('\n'));
    const git = simpleGit(dir);
    await git.init([`--initial-branch=${stages.value.names[0]}`]);
    // A local identity: the demo must work where git has none configured.
    await git
      .addConfig('user.name', 'fleetplay demo')
      .addConfig('user.email', 'demo@fleetplay.invalid')
      .addConfig('commit.gpgsign', 'false');
    await git.add('.').commit('The fleet: seven devices, inventory and playbooks');
    for (const b of stages.value.names.slice(1)) await git.branch([b]);
    return new FleetRepo(dir, git, stages.value);
  }

  /** A release: the OS image per device type in group_vars/all.yml, committed on main. */
  async release(images: Record<string, string>, message: string): Promise<string> {
    await this.git.checkout('main');
    return this.commit(ALL_VARS, setImages(readFileSync(join(this.dir, ALL_VARS), 'utf8'), images), message);
  }

  /** A change to one file of the repository (`fleetplay.yml`, say), committed on main. */
  async commit(path: string, text: string, message: string): Promise<string> {
    await this.git.checkout('main');
    writeFileSync(join(this.dir, path), text);
    await this.git.add(path).commit(message);
    return this.head('main');
  }

  /** Reverts a commit on main (how a bad release leaves the pipeline). */
  async revert(commit: string): Promise<string> {
    await this.git.checkout('main');
    await this.git.raw(['revert', '--no-edit', commit]);
    return this.head('main');
  }

  /** Merges one stage into the next, as merging the promotion pull request does. */
  async promote(from: StageBranch, to: StageBranch): Promise<string> {
    await this.git.checkout(to);
    await this.git.merge(['--no-ff', '-m', `Promote ${from} to ${to}`, from]);
    return this.head(to);
  }

  /** Checks out a stage branch, as the CI job of a push to it does. */
  async checkout(branch: StageBranch): Promise<void> {
    await this.git.checkout(branch);
  }

  async head(branch: string): Promise<string> {
    return (await this.git.revparse([branch])).trim();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Replaces the image of each device type under `os_image:`, keeping every other line. */
export function setImages(text: string, images: Record<string, string>): string {
  let out = text;
  for (const [type, image] of Object.entries(images)) {
    const line = new RegExp(`^(\\s+${type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\s*)\\S+(.*)$`, 'm');
    if (!line.test(out)) throw new Error(`${ALL_VARS} has no os_image line for ${type}`);
    out = out.replace(line, `$1${image}$2`);
  }
  return out;
}
