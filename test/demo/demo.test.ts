/**
 * `fleetplay demo` end to end, in process: the real embedded server, a real git repository,
 * the real main job. The story's facts are checked from what the demo returns and prints.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadDevices, type Device } from '../../src/demo/fleet.js';
import { PROJECT_DIR, runDemo, type DemoResult } from '../../src/demo/index.js';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), text: () => text };
}

function devicesByMark(): Record<string, Device> {
  const r = loadDevices(join(PROJECT_DIR, 'inventory'));
  if (!r.ok) throw new Error(r.error.message);
  return Object.fromEntries(r.value.map((d) => [d.mark, d]));
}

describe('fleetplay demo', () => {
  const d = devicesByMark();
  const ids = (marks: string) => [...marks].map((m) => d[m].id).sort();
  let result: DemoResult;
  let text: string;

  beforeAll(async () => {
    const out = capture();
    result = await runDemo({ stdout: out.stream });
    text = out.text();
  }, 180_000);

  test('tells the whole story and exits 0', () => {
    expect(result.facts.surprises).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(text.match(/^\d+\. /gm)).toEqual(Array.from({ length: 11 }, (_, i) => `${i + 1}. `));
    expect(text).toContain('The story went as planned.');
  });

  test('each run changes exactly the devices following its branch', () => {
    expect(result.facts.changed).toEqual({
      '3:main': ids('⑦'),
      '4:canary': ids('④⑤'),
      '5:main': [],
      '5:canary': ids('④'),
      '6:production': ids('①②③⑥'),
      '7:canary': ids('④'),
      '7:main': ids('⑦'),
      '7:main-cherry-pick': [],
      '7:canary-promoted': [],
      '8:main': ids('⑦'),
      '8:canary': ids('④⑤'),
      // Configuration follows the waves too: only wave 1 gets 1.3.0's.
      '8:production': ids('①'),
      '8:production-scheduled': [],
      '9:main': [],
      '9:canary': [],
      '9:production-wave-1': ids('①'),
      '9:production-wave-2': ids('⑥'),
      '9:production-wave-3': ids('②③'),
    });
  });

  test('production rolls out in waves: 1.3.0, bad on the Raspberry Pi 2, halts after wave 1 with ① alone affected', () => {
    const waves = result.facts.waves!;
    // first: [raspberrypi2] puts ① in wave 1; the hash of the device ids orders the others.
    expect(waves.waves).toEqual([ids('①'), ids('⑥'), ids('②③')]);
    // The server's request log: 1.3.0 was deployed to ① and to no device of a later wave.
    expect(waves.scheduled).toEqual(ids('①'));
    expect(waves.halt).toBe('halted at wave 1: 1 of 1 failed (at most 0)');
    expect(waves.status).toEqual({ state: 'failure', description: 'halted at wave 1: 1 of 1 failed (at most 0)' });
    expect(text).toMatch(/gives production a rollout policy in fleetplay\.yml:\n {5}rollout:\n {7}production:\n/);
    expect(text).toContain(
      '     wave 1 ①: 1 scheduled now\n     wave 2 ⑥: 1 later\n     wave 3 ②③: 2 later\n' +
        '     later: wave 2 starts after wave 1 has finished and been healthy for 30m (1 of 1 devices not finished)\n',
    );
    expect(text).toContain(
      '     wave 1 ①: 1 failed\n     wave 2 ⑥: 1 later\n     wave 3 ②③: 2 later\n' +
        '     ✘ halted at wave 1: 1 of 1 failed (at most 0): nothing more is scheduled for this release\n',
    );
    expect(text).toContain(
      `the monitor's commit status: fleetplay/production failure, "halted at wave 1: 1 of 1 failed (at most 0)"`,
    );
    expect(text).toContain(
      "✔ the server's request log: 1.3.0 was deployed to ① alone; ②③⑥ of the later waves were never scheduled",
    );
  });

  test('the fix, 1.3.1 for the Raspberry Pi 2, starts again at wave 1 and reaches one wave per scheduled run', () => {
    const waves = result.facts.waves!;
    expect(waves.fixScheduled).toEqual([ids('①'), ids('⑥'), ids('②③')]);
    expect(waves.fixVerdict).toBe('green');
    expect(text).toContain('     wave 1 ①: 1 installed\n     wave 2 ⑥: 1 scheduled now\n     wave 3 ②③: 2 later\n');
    expect(text).toContain('     wave 1 ①: 1 installed\n     wave 2 ⑥: 1 installed\n     wave 3 ②③: 2 scheduled now\n');
  });

  test('a hotfix made straight on canary blocks main → canary, named by the guard, until it is cherry-picked onto main', () => {
    const hotfix = result.facts.hotfix!;
    const short = hotfix.commit.slice(0, 7);
    expect(hotfix.refusal).toBe(
      `canary has a commit that main lacks: ${short} Hotfix: the campus kiosk page moved — the merge would land a tree that was never verified on main (differs in inventory/host_vars/kiosk-campus.yml)`,
    );
    expect(text).toContain(`✘ promotion main → canary refused: ${hotfix.refusal}`);
    expect(text).toContain(
      `hint: bring them back to main first: git switch main && git cherry-pick ${short} && git push`,
    );
    expect(hotfix.passedAfterCherryPick).toBe(true);
    expect(text).toMatch(/✔ promotion main → canary allowed \(main @ [0-9a-f]{7} is green and lands unmodified\)/);
  });

  test('the bad release fails on canary and the gate keeps it out of production', () => {
    expect(result.facts.canaryFailures).toEqual(ids('④'));
    expect(result.facts.gateRefusal).toMatch(/^canary @ [0-9a-f]{7} is red, not green$/);
    expect(text).toMatch(/promotion canary → production refused/);
    const production = result.facts.final.filter((s) => s.branch === 'production');
    expect(production.map((s) => s.installed).some((a) => a.includes('1.2.0'))).toBe(false);
  });

  test('the second run on the same commit changes nothing and writes nothing', () => {
    expect(result.facts.secondRun).toEqual({ changed: 0, writes: 0 });
  });

  test('every device ends on the latest release (its fix 1.3.1 on the Raspberry Pi 2), converged, in the final table', () => {
    const final = result.facts.final;
    const latest = (x: Device) => (x.deviceType === 'raspberrypi2' ? '1.3.1' : '1.3.0');
    expect(final.map((s) => [s.device.mark, s.installed, s.status])).toEqual(
      Object.values(d).map((x) => [x.mark, x.image.replace('1.0.0', latest(x)), 'converged']),
    );
    expect(final.find((s) => s.device.mark === '⑤')!.branch).toBe('canary');
    expect(text).toMatch(/① legacy-pi2 +production +raspberrypi2 +fleet-os-1\.3\.1-raspberrypi2 +converged/);
    expect(text).toMatch(/⑦ kiosk-next +main +raspberrypi4 +fleet-os-1\.3\.0-raspberrypi4 +converged/);
  });

  test('speaks plainly: no colour off a terminal, no secret, no stack trace', () => {
    expect(text).not.toMatch(/\u001b\[/);
    expect(text).not.toMatch(/demo-[0-9a-f]{24}/);
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });
});

describe('fleetplay demo when the story goes wrong', () => {
  test('a playbook that schedules nothing makes the demo say so and exit non-zero', async () => {
    const project = mkdtempSync(join(tmpdir(), 'fleetplay-demo-project-'));
    try {
      cpSync(join(PROJECT_DIR, 'inventory'), join(project, 'inventory'), { recursive: true });
      mkdirSync(join(project, 'playbooks'));
      writeFileSync(
        join(project, 'playbooks', 'manage-fleet.yml'),
        '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: nothing}\n',
      );
      const out = capture();
      const r = await runDemo({ projectDir: project, stdout: out.stream });
      expect(r.exitCode).toBe(2);
      expect(r.facts.changed['3:main']).toEqual([]);
      expect(out.text()).toContain('The story did not go as planned:');
      expect(out.text()).toMatch(/3:main: expected ⑦ to change, the job changed nothing/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 180_000);
});
