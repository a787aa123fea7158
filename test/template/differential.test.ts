/**
 * fleetplay's Templar against ansible-core 2.14, case by case. The expected values were recorded
 * by test/fixtures/template/generate.py (each fixture holds the exact ansible command).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FleetFailure } from '../../src/errors/index.js';
import { lazyVars, Templar } from '../../src/template/index.js';

interface Fixture {
  case: string;
  kind: 'template' | 'when';
  template: string | string[];
  vars: Record<string, unknown>;
  error: string | null;
  ansible_result: { value?: unknown; error?: string };
  command: string;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/template');
const fixtures: Fixture[] = JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8'));
const templar = new Templar({ searchPaths: [dir], env: { FLEET_TEST_TOKEN: 's3cr3t-token-for-tests' } });

/**
 * Where fleetplay knowingly differs (docs/playbooks.md, "Templating", known differences): JS has one number
 * type, so a computed float with an integral value prints without ".0".
 */
const KNOWN_DIFFERENCES: Record<string, unknown> = { 'float-literal-string': '5' };

function run(f: Fixture): unknown {
  const vars = lazyVars([f.vars], templar, { file: 'playbook.yml', task: f.case });
  return f.kind === 'when'
    ? templar.conditional(f.template, vars, { task: f.case })
    : templar.template(f.template, vars, { task: f.case });
}

test('the fixtures were recorded by ansible-core 2.14 with their command', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(30);
  for (const f of fixtures) expect(f.command).toContain('ansible-playbook');
});

describe.each(fixtures.filter((f) => !f.error).map((f) => [f.case, f] as const))('%s', (_name, f) => {
  test(`renders like ansible: ${JSON.stringify(f.template)}`, () => {
    const expected = f.case in KNOWN_DIFFERENCES ? KNOWN_DIFFERENCES[f.case] : f.ansible_result.value;
    expect(run(f)).toEqual(expected);
  });
});

describe.each(fixtures.filter((f) => f.error).map((f) => [f.case, f] as const))('%s', (_name, f) => {
  test(`fails like ansible with ${JSON.stringify(f.error)}`, () => {
    expect(f.ansible_result.error).toContain(f.error);
    let caught: unknown;
    try {
      run(f);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FleetFailure);
    const failure = caught as FleetFailure;
    expect(failure.message).toContain(f.error!);
    expect(failure.message).toContain(f.case); // names the task
  });
});
