/**
 * The workflows' hardening rules, checked on every workflow file: no permission at the workflow
 * level, explicit permissions per job, every action pinned to a commit with its release in a
 * comment, checkouts that keep no token for `npm ci`'s install scripts, secrets only in jobs that
 * name an environment; and update-fleet.yml's stage gate run as the runner runs it.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureBuilt } from '../stage/helpers.js';
import { DIR, actionOf, jobs, load, runStep, text, type Json, type Step } from './steps.js';

const FILES = readdirSync(DIR).sort();

/** `owner/repo[/path]@<40 hex> # v1[.2[.3]]`, nothing else on the line. */
const PINNED = /^\s*(?:- )?uses: [\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@[0-9a-f]{40} # v\d+(?:\.\d+){0,2}$/;
/** Secrets a job may read without an environment: the token Actions gives every job. */
const EVERYWHERE = new Set(['GITHUB_TOKEN']);

const usesLines = (src: string) => src.split('\n').filter((l) => /^\s*(?:- )?uses:/.test(l));
const secretsIn = (node: unknown): string[] =>
  [...JSON.stringify(node).matchAll(/\bsecrets\.(\w+)/g)].map((m) => m[1]).filter((s) => !EVERYWHERE.has(s));

/** Every rule this file enforces, as findings for one workflow's text. */
function hardeningProblems(src: string): string[] {
  const wf = parse(src) as Json;
  const out: string[] = [];
  if (JSON.stringify(wf.permissions) !== '{}') out.push('workflow: permissions must be {}');
  for (const line of usesLines(src)) if (!PINNED.test(line)) out.push(`not pinned with its release: ${line.trim()}`);
  for (const [id, job] of Object.entries(jobs(wf))) {
    const p = job.permissions;
    if (!p || typeof p !== 'object') out.push(`job ${id}: no explicit permissions`);
    const steps: Step[] = job.steps ?? [];
    steps
      .filter((s) => actionOf(s) === 'actions/checkout' && s.with?.['persist-credentials'] !== false)
      .forEach((s) => out.push(`job ${id}: checkout "${s.name}" keeps the token (persist-credentials)`));
    const secrets = secretsIn(job);
    if (secrets.length && !job.environment) out.push(`job ${id}: reads ${secrets.join(', ')} without an environment`);
  }
  return out;
}

/** The actions of every file, `owner/repo` → the distinct `sha # version` it is pinned to. */
function pinsByAction(): Map<string, Set<string>> {
  const pins = new Map<string, Set<string>>();
  for (const f of FILES)
    for (const line of usesLines(text(f))) {
      const [action, pin] = line.replace(/^\s*(?:- )?uses: /, '').split('@');
      pins.set(action, (pins.get(action) ?? new Set()).add(pin));
    }
  return pins;
}

describe('every workflow is hardened', () => {
  test('the files checked are the shipped ones', () => {
    expect(FILES).toEqual(['monitor-fleet.yml', 'plan-preview.yml', 'promotion-gate.yml', 'update-fleet.yml']);
  });

  test.each(FILES)(
    '%s: permissions {} at the top, per job explicit, pinned, no kept token, secrets in environments',
    (f) => {
      expect(hardeningProblems(text(f))).toEqual([]);
      // Every step that uses an action was seen as a pinned line (none hides in a flow mapping).
      const used = Object.values(jobs(load(f))).flatMap((j) => j.steps.filter((s) => s.uses));
      expect(usesLines(text(f))).toHaveLength(used.length);
      expect(used.length).toBeGreaterThan(0);
    },
  );

  test('one action, one commit and release across all workflows', () => {
    const pins = pinsByAction();
    expect([...pins.keys()].sort()).toEqual([
      'actions/checkout',
      'actions/download-artifact',
      'actions/setup-node',
      'actions/upload-artifact',
    ]);
    for (const [action, set] of pins) expect([action, set.size]).toEqual([action, 1]);
  });

  test('the rules catch what they forbid', () => {
    const src = text('monitor-fleet.yml');
    const plant = (from: string, to: string) => {
      expect(src).toContain(from);
      return hardeningProblems(src.replace(from, to));
    };
    expect(plant('permissions: {}\n', 'permissions:\n  statuses: write\n')).toEqual([
      'workflow: permissions must be {}',
    ]);
    expect(
      plant(
        'uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0',
        'uses: actions/setup-node@v4',
      ),
    ).toEqual(['not pinned with its release: uses: actions/setup-node@v4']);
    expect(
      plant(
        'checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
        'checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      ),
    ).toEqual(['not pinned with its release: uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683']);
    expect(plant('checkout@11bd71901bbe5b1630ceea73d27597364c9af683', 'checkout@11bd719')).toEqual([
      'not pinned with its release: uses: actions/checkout@11bd719 # v4.2.2',
    ]);
    expect(plant('    permissions:\n      contents: read\n    outputs:', '    outputs:')).toEqual([
      'job stages: no explicit permissions',
    ]);
    expect(plant('          persist-credentials: false\n', '')).toEqual([
      'job stages: checkout "Check out the fleet repository" keeps the token (persist-credentials)',
    ]);
    expect(plant('    environment: ${{ matrix.branch }}-monitor\n', '')).toEqual([
      'job monitor: reads MENDER_ACCESS_TOKEN, GHRUNNER_TOKEN, INFLUXDB_TOKEN without an environment',
    ]);
  });
});

describe('update-fleet.yml runs only on a stage, in its environment', () => {
  const wf = load('update-fleet.yml');
  const { stage, update } = jobs(wf);

  test('the stage and schedule jobs have no secret and no environment; the update job needs the answer', () => {
    expect(Object.keys(jobs(wf))).toEqual(['schedule', 'stage', 'update']);
    // The scheduled run only starts runs of the stage branches, which then go through these jobs.
    expect(secretsIn(jobs(wf).schedule)).toEqual([]);
    expect(jobs(wf).schedule.environment).toBeUndefined();
    expect(secretsIn(stage)).toEqual([]);
    expect(stage.environment).toBeUndefined();
    expect(stage.outputs).toEqual({ 'is-stage': '${{ steps.ask.outputs.is-stage }}' });
    expect(update).toMatchObject({
      needs: 'stage',
      if: "needs.stage.outputs.is-stage == 'true'",
      environment: '${{ github.ref_name }}',
    });
    expect(secretsIn(update).sort()).toEqual(['GHRUNNER_TOKEN', 'INFLUXDB_TOKEN', 'MENDER_ACCESS_TOKEN']);
  });

  test('the monitor and the plan preview read their secrets from environments of their own', () => {
    expect(jobs(load('monitor-fleet.yml')).monitor.environment).toBe('${{ matrix.branch }}-monitor');
    expect(jobs(load('monitor-fleet.yml')).stages.environment).toBeUndefined();
    expect(jobs(load('plan-preview.yml')).plan.environment).toBe('plan-preview');
  });

  describe("the stage job's question, asked of the built CLI", () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fleetplay-gate-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const ask = (): Step => stage.steps.find((s) => s.name === 'Ask fleetplay.yml')!;
    const run = (ref: string, refType: string, stagesFile?: string) => {
      const dir = mkdtempSync(join(tmp, 'ask-'));
      if (stagesFile !== undefined) writeFileSync(join(dir, 'fleetplay.yml'), stagesFile);
      return runStep(ask(), dir, { BRANCH: ref, REF_TYPE: refType });
    };
    beforeAll(() => ensureBuilt());

    test('the step passes the ref and its type, never as an expression in the script', () => {
      expect(ask()).toMatchObject({
        id: 'ask',
        env: { BRANCH: '${{ github.ref_name }}', REF_TYPE: '${{ github.ref_type }}' },
      });
      expect(ask().run).not.toContain('${{');
    });

    test.each([
      ['production, a default stage', 'production', 'branch', undefined, 'true'],
      ['main, a default stage', 'main', 'branch', undefined, 'true'],
      ['a feature branch', 'feature/x', 'branch', undefined, 'false'],
      ['a tag named like a stage', 'production', 'tag', undefined, 'false'],
      ['qa, a stage of fleetplay.yml', 'qa', 'branch', 'stages: [develop, qa, field]\n', 'true'],
      ['production, no stage of fleetplay.yml', 'production', 'branch', 'stages: [develop, qa, field]\n', 'false'],
    ])('%s', (_what, ref, refType, stagesFile, expected) => {
      const r = run(ref, refType, stagesFile);
      expect([r.status, r.output]).toEqual([0, `is-stage=${expected}\n`]);
    });

    test('a bad fleetplay.yml fails the job with its file and line instead of answering', () => {
      const r = run('main', 'branch', 'stages: [main, main]\n');
      expect(r.status).toBe(1);
      expect(r.output).toBe('');
      expect(r.stderr).toMatch(/fleetplay\.yml:1:\d+: fleetplay\.yml: stages: each stage once/);
    });
  });
});
