/**
 * Differential tests against ansible-core 2.14: every fixture playbook was run with
 * ansible-playbook (command recorded in NAME.expected.json, see generate.mjs); fleetplay runs the
 * same playbook and must give the same recap, the same per-host task statuses and the same
 * debug output (which is how registered values are compared).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook } from '../../src/engine/run.js';
import { flatResults, type TaskRecord } from '../../src/engine/report.js';
import { FIXTURES as dir, fixtureOptions } from './fixtures.js';

const names = readdirSync(dir)
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => f.replace('.expected.json', ''))
  .sort();

interface Expected {
  command: string;
  rc: number;
  stats: Record<
    string,
    {
      ok: number;
      changed: number;
      failures: number;
      skipped: number;
      rescued: number;
      ignored: number;
      unreachable: number;
    }
  >;
  tasks: { name: string; line: number; hosts: Record<string, { status: string; debug?: Record<string, unknown> }> }[];
}

const NOT_COMPARED = new Set(['meta', 'include_tasks', 'include_role', 'include']);
/** A module name without its collection (ansible.builtin.include_tasks → include_tasks). */
const short = (name: string) => name.replace(/^ansible\.(builtin|legacy)\./, '');
const RESULT_KEYS = new Set([
  'changed',
  'failed',
  'skipped',
  'skip_reason',
  'skipped_reason',
  'ansible_loop_var',
  'item',
  'failed_when_result',
  'attempts',
]);

/** What a debug task showed: msg, the var's value, or per item for loops. */
function debugView(r: Record<string, unknown>): unknown {
  if (Array.isArray(r.results)) return r.results.map((x) => debugView(x as Record<string, unknown>));
  if (r.skipped) return 'skipped';
  if ('msg' in r) return comparable(r.msg);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r))
    if (!RESULT_KEYS.has(k) && k !== (r.ansible_loop_var as string)) out[k] = comparable(v);
  return out;
}

/**
 * A shown value with what cannot match blanked: command times (start, end, delta) and
 * `invocation`, ansible's echo of a module's whole argument spec inside loop results.
 */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparable);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'invocation') continue;
    out[k] = TIMES.has(k) && typeof x === 'string' ? '<time>' : comparable(x);
  }
  return out;
}
const TIMES = new Set(['start', 'end', 'delta']);

type Step = { line: number; status: string; debug?: unknown };

function expectedSteps(e: Expected): Record<string, Step[]> {
  const out: Record<string, Step[]> = {};
  for (const t of e.tasks) {
    if (NOT_COMPARED.has(short(t.name.replace(/ :.*$/, '')))) continue;
    for (const [h, r] of Object.entries(t.hosts)) {
      (out[h] ??= []).push({
        line: t.line,
        status: r.status,
        ...(r.debug && r.status !== 'failed' ? { debug: debugView(r.debug) } : {}),
      });
    }
  }
  return out;
}

function actualSteps(records: TaskRecord[]): Record<string, Step[]> {
  const out: Record<string, Step[]> = {};
  for (const r of records) {
    if (NOT_COMPARED.has(short(r.action))) continue;
    const status = r.status === 'ignored' ? 'failed' : r.status;
    // A failed debug shows an error message; its wording is the template engine's, not compared.
    (out[r.host] ??= []).push({
      line: r.line,
      status,
      ...(r.action === 'debug' && status !== 'failed' ? { debug: debugView(r.result) } : {}),
    });
  }
  return out;
}

const sink = () => {
  let text = '';
  const s = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return { s, text: () => text };
};

describe('differential: fleetplay vs ansible-core 2.14 fixtures', () => {
  test('there are at least 50 recorded playbooks', () => {
    expect(names.length).toBeGreaterThanOrEqual(50);
  });

  test.each(names)('%s', async (name) => {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected;
    const o = fixtureOptions(name);
    const out = sink();
    const r = await runPlaybook({
      playbook: o.playbook,
      limit: o.limit,
      startAtTask: o.startAtTask,
      stderr: sink().s,
      inventory: [o.inventory],
      mode: o.check ? 'dry-run' : 'run',
      tags: o.tags,
      skipTags: o.skipTags,
      extraVars: o.extraVars,
      diff: o.diff,
      verbosity: o.verbosity,
      stdout: out.s,
      recordResults: true,
      env: { PATH: process.env.PATH },
    });
    expect(r.errors).toEqual([]);
    const recap = Object.fromEntries(
      Object.entries(r.recap).map(([h, s]) => [
        h,
        {
          ok: s.ok,
          changed: s.changed,
          failures: s.failed,
          skipped: s.skipped,
          rescued: s.rescued,
          ignored: s.ignored,
          unreachable: s.unreachable,
        },
      ]),
    );
    expect({ recap, steps: actualSteps(flatResults(r.report.results)), rc: r.exitCode }).toEqual({
      recap: expected.stats,
      steps: expectedSteps(expected),
      rc: expected.rc,
    });
  });
});
