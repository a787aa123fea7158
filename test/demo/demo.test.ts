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
    expect(text.match(/^\d\. /gm)).toEqual(['1. ', '2. ', '3. ', '4. ', '5. ', '6. ', '7. ', '8. ', '9. ']);
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
    });
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

  test('every device ends on the good release, converged, in the final table', () => {
    const final = result.facts.final;
    expect(final.map((s) => [s.device.mark, s.installed, s.status])).toEqual(
      Object.values(d).map((x) => [x.mark, x.image.replace('1.0.0', '1.1.0'), 'converged']),
    );
    expect(final.find((s) => s.device.mark === '⑤')!.branch).toBe('canary');
    expect(text).toMatch(/⑦ kiosk-next +main +raspberrypi4 +fleet-os-1\.1\.0-raspberrypi4 +converged/);
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
