/**
 * Console output against ansible-playbook's default callback: NAME.stdout.txt holds what
 * ansible printed (first line: the command). Hosts finish in any order in ansible, so lines are
 * compared as a sorted multiset per section; timestamps of command results are blanked. The
 * playbook's first line may give ansible-playbook arguments (--check, --diff, -v...).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isListing } from '../../src/engine/listing.js';
import { runPlaybook } from '../../src/engine/run.js';
import { FIXTURES as dir, fixtureOptions } from './fixtures.js';

// Listings are compared line for line by listing.test.ts.
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.stdout.txt'))
  .map((f) => f.replace('.stdout.txt', ''))
  .filter((n) => !isListing(fixtureOptions(n)));

/** ansible -v names its configuration file first; fleetplay has none. */
const CONFIG_NOTICE = /^(No config file found; using defaults|Using .* as config file)\n/m;

function sections(text: string): string[][] {
  const blank = text.replace(CONFIG_NOTICE, '').replace(/"(delta|start|end)": "[^"]*"/g, '"$1": "X"');
  return blank
    .split('\n\n')
    .map((s) =>
      s
        .split('\n')
        .filter((l) => l.trim() !== '')
        .sort(),
    )
    .filter((s) => s.length);
}

async function fleetplayText(name: string): Promise<{ text: string; rc: number }> {
  let text = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  // What ansible writes to stderr is compared by listing.test.ts.
  const stderr = new Writable({ write: (_c, _e, cb) => cb() });
  const o = fixtureOptions(name);
  const r = await runPlaybook({
    playbook: o.playbook,
    limit: o.limit,
    startAtTask: o.startAtTask,
    stderr,
    inventory: [o.inventory],
    mode: o.check ? 'dry-run' : 'run',
    diff: o.diff,
    verbosity: o.verbosity,
    tags: o.tags,
    skipTags: o.skipTags,
    extraVars: o.extraVars,
    stdout,
    env: { PATH: process.env.PATH, ...o.env },
  });
  return { text, rc: r.exitCode };
}

describe('output matches ansible-playbook default callback', () => {
  test('fixtures exist', () => expect(names.length).toBeGreaterThanOrEqual(5));
  test.each(names)('%s', async (name) => {
    const recorded = readFileSync(join(dir, `${name}.stdout.txt`), 'utf8');
    const [head, ...rest] = recorded.split('\n');
    const rc = Number(/\(rc=(\d+)/.exec(head)?.[1]);
    const ours = await fleetplayText(name);
    expect(ours.rc).toBe(rc);
    expect(sections(ours.text)).toEqual(sections(rest.join('\n')));
  });
});
