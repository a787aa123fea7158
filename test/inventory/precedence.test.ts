/**
 * The variable precedence table, differential against ansible-core 2.14: the fixture under
 * test/fixtures/inventory/precedence sets variable caseK in layers 1..K only (lowest first), so
 * case K decides layer K against every layer below it. record.mjs there ran ansible-playbook on
 * it (command and version in expected.json); fleetplay's engine runs the same playbook here and
 * must show the same layer for every case.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseExtraVars } from '../../src/engine/cli.js';
import { runPlaybook } from '../../src/engine/run.js';
import { flatResults } from '../../src/engine/report.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/inventory/precedence');

interface Expected {
  command: string;
  argv: string[];
  ansible: string;
  rc: number;
  host: string;
  layers: { id: string; where: string }[];
  cases: Record<string, string>;
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
const caseNames = Object.keys(expected.cases);

/** ansible-playbook's argv as recorded, mapped onto runPlaybook options. */
function optionsFrom(argv: string[]) {
  const inventory: string[] = [];
  const extra: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-i') inventory.push(join(dir, argv[++i]));
    else if (argv[i] === '-e') extra.push(argv[++i]);
    else if (argv[i].startsWith('-')) throw new Error(`unhandled recorded argument ${argv[i]}`);
    else positional.push(join(dir, argv[i]));
  }
  if (positional.length !== 1) throw new Error(`expected one playbook in ${argv.join(' ')}`);
  return { playbook: positional[0], inventory, extraVars: parseExtraVars(extra) };
}

/** What fleetplay's report task showed for each case: the id of the winning layer. */
async function fleetplayShows(): Promise<Record<string, unknown>> {
  let text = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const r = await runPlaybook({ ...optionsFrom(expected.argv), mode: 'run', stdout, recordResults: true, env: { PATH: process.env.PATH } });
  if (r.errors.length || r.exitCode !== expected.rc) throw new Error(`fleetplay exit ${r.exitCode}:\n${text}`);
  const report = flatResults(r.report.results).find((x) => x.task === 'layered : report' && x.host === expected.host);
  if (!report) throw new Error(`no report task result:\n${text}`);
  return report.result.msg as Record<string, unknown>;
}

function table(shown: Record<string, unknown>): string {
  const rows = caseNames.map((c, i) => {
    const mark = shown[c] === expected.cases[c] ? '' : '   <-- differs';
    return `${c}  layers 1-${String(i + 1).padEnd(2)}  top: ${expected.layers[i].id.padEnd(28)} ansible: ${expected.cases[c].padEnd(28)} fleetplay: ${String(shown[c])}${mark}`;
  });
  return [`precedence table (${expected.ansible}; ${expected.command})`, ...rows].join('\n');
}

describe('variable precedence table vs ansible-core 2.14', () => {
  let shown: Record<string, unknown> = {};
  beforeAll(async () => {
    shown = await fleetplayShows();
    console.log(table(shown));
  });

  it('has one case per layer, recorded by ansible-core 2.14', () => {
    expect(expected.ansible).toMatch(/core 2\.14\./);
    expect(caseNames).toHaveLength(expected.layers.length);
    expect(expected.layers.length).toBeGreaterThanOrEqual(20);
  });

  // The precedence list of docs/playbooks.md is this order: in ansible every case is won by its top layer.
  it('ansible ranks the layers in the listed order (each case won by its top layer)', () => {
    expect(caseNames.map((c) => expected.cases[c])).toEqual(expected.layers.map((l) => l.id));
  });

  it.each(caseNames.map((c, i) => [c, expected.layers[i].id] as const))('%s (layers up to %s): fleetplay shows the layer ansible shows', (c) => {
    expect(shown[c]).toBe(expected.cases[c]);
  });
});
