/**
 * Stale-run protection: a real bare remote and two clones of the fleet repository. The run plans
 * in clone A; between its plan and its first write (the engine's beforeFirstWrite hook) clone B
 * pushes to the same stage branch. Writes are counted from the embedded server's own log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import {
  allVarsWithImage,
  eachTestFleet,
  ensureBuilt,
  fleetplayCli,
  git,
  runIn,
  serverWrites,
  SECRETS,
  TOKEN,
  type FleetRepo,
} from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const fleet = eachTestFleet();

const sh = git;

interface Clones {
  remote: string;
  /** The run's checkout of canary. */
  a: FleetRepo;
  /** Another clone that pushes to canary meanwhile. */
  b: string;
  /** Commits and pushes a change to canary from clone B; returns the new commit. */
  pushFromB(): string;
}

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** canary asks for 1.1.0 (so the run has writes to make), pushed to a bare remote and cloned twice. */
function clones(): Clones {
  fleet.repo.commit('canary', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') }, 'release 1.1.0');
  tmp = mkdtempSync(join(tmpdir(), 'fleetplay-fresh-'));
  const remote = join(tmp, 'fleet.git');
  sh(tmp, 'clone', '-q', '--bare', fleet.repo.dir, remote);
  const clone = (name: string) => {
    const dir = join(tmp, name);
    sh(tmp, 'clone', '-q', '-b', 'canary', remote, dir);
    return dir;
  };
  const aDir = clone('a');
  const b = clone('b');
  const a: FleetRepo = { ...fleet.repo, dir: aDir, git: (...args) => sh(aDir, ...args) };
  return {
    remote,
    a,
    b,
    pushFromB() {
      writeFileSync(join(b, 'inventory/group_vars/all.yml'), allVarsWithImage('1.2.0'));
      sh(b, 'commit', '-qam', 'release 1.2.0');
      sh(b, 'push', '-q', 'origin', 'canary');
      return sh(b, 'rev-parse', 'HEAD');
    },
  };
}

const capture = () => {
  const s = { text: '', stream: undefined as unknown as Writable };
  s.stream = new Writable({ write: (c, _e, cb) => ((s.text += String(c)), cb()) });
  return s;
};

describe('stale-run protection', () => {
  it('the branch moves between plan and apply: nothing is written, the newer commit is named, exit code 5', async () => {
    const c = clones();
    let newer = '';
    const r = await runIn(c.a, fleet.srv, {
      checkFresh: true,
      beforeFirstWrite: () => {
        newer = c.pushFromB();
        return Promise.resolve(undefined);
      },
    });
    expect(newer).toMatch(/^[0-9a-f]{40}$/);
    expect(await serverWrites(fleet.srv)).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.branchMoved);
    expect(ExitCode.branchMoved).toBe(5);
    expect(r.text).toContain('APPLY STOPPED: nothing was written');
    expect(r.text).toContain(`ERROR! canary moved on: origin has ${newer.slice(0, 12)}`);
    expect(r.text).toContain(`the run for ${newer.slice(0, 12)} applies the newer state`);
    expect(r.report.apply).toMatchObject({
      applied: false,
      devices: 0,
      stopped: { code: 'git.branch-moved', exitCode: 5 },
    });
    expect(r.report.plan.filter((d) => d.apply).map((d) => d.apply?.status)).toEqual(
      expect.arrayContaining(['not-sent']),
    );
    expect(r.report.plan.some((d) => d.apply?.status === 'sent')).toBe(false);
  });

  it('the same run with the branch still at its commit writes (the check lets a fresh run through)', async () => {
    const c = clones();
    const r = await runIn(c.a, fleet.srv, { checkFresh: true });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect((await serverWrites(fleet.srv)).length).toBeGreaterThan(0);
  });

  it('a checkout ahead of its remote (a commit not pushed yet) is not stale', async () => {
    const c = clones();
    writeFileSync(join(c.a.dir, 'NOTES.md'), 'local\n');
    sh(c.a.dir, 'add', 'NOTES.md');
    sh(c.a.dir, 'commit', '-qm', 'local note');
    const r = await runIn(c.a, fleet.srv, { checkFresh: true });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect((await serverWrites(fleet.srv)).length).toBeGreaterThan(0);
  });

  it('a dry run on a moved branch only warns: same exit code as before, nothing written', async () => {
    const c = clones();
    const before = await runIn(c.a, fleet.srv, { mode: 'dry-run', checkFresh: true });
    const newer = c.pushFromB();
    const err = capture();
    const r = await runIn(c.a, fleet.srv, { mode: 'dry-run', checkFresh: true, stderr: err.stream });
    expect(r.exitCode).toBe(before.exitCode);
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(err.text).toContain(`[WARNING]: canary moved on: origin has ${newer.slice(0, 12)}`);
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });

  it('a remote that cannot be asked fails closed in --mode run: nothing written, exit code 6 with its hint', async () => {
    const c = clones();
    sh(c.a.dir, 'remote', 'set-url', 'origin', join(tmp, 'gone.git'));
    const r = await runIn(c.a, fleet.srv, { checkFresh: true });
    expect(r.exitCode).toBe(ExitCode.branchUnchecked);
    expect(await serverWrites(fleet.srv)).toEqual([]);
    expect(r.text).toMatch(
      /ERROR! .*: cannot ask remote "origin" where canary stands: .*whether canary moved on is unknown/,
    );
    expect(r.text).toContain('hint: check the network');
  });

  it('`fleetplay run` (the built CLI) checks: --mode run on a moved branch exits 5 and writes nothing, a dry run warns', async () => {
    const c = clones();
    const newer = c.pushFromB();
    const env = { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS };
    const dry = await fleetplayCli(c.a.dir, ['run', '--server', fleet.srv.url], env);
    expect(dry.code).toBe(ExitCode.ok);
    expect(dry.out).toContain(`[WARNING]: canary moved on: origin has ${newer.slice(0, 12)}`);
    const run = await fleetplayCli(c.a.dir, ['run', '--mode', 'run', '--server', fleet.srv.url], env);
    expect(run.code).toBe(ExitCode.branchMoved);
    expect(run.out).toContain(`canary moved on: origin has ${newer.slice(0, 12)}`);
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });
});
