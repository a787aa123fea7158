/**
 * What the recorded ansible fixtures (test/fixtures/playbooks) share: the folder, the arguments
 * the generator gave ansible-playbook (first line "# fleetplay-args: ...", quoted as in a shell;
 * environment from a line "# fleetplay-env: K=V ..."; the inventory from "# fleetplay-inventory: FILE",
 * else inventory.yml; the playbook from "# fleetplay-playbook: FILE",
 * else NAME.yml), mapped onto runPlaybook / listPlaybook options, and fleetplay's twin of the
 * fixture-only module library/fixture_diff.py.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { registerModule } from '../../src/modules/registry.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'playbooks');

export interface FixtureOptions {
  tags: string[];
  skipTags: string[];
  extraVars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  verbosity: number;
  /** Environment the recording had ("# fleetplay-env: K=V ..."). */
  env: Record<string, string>;
  /** The playbook as ansible-playbook was given it (relative to FIXTURES), and its full path. */
  playbookArg: string;
  playbook: string;
  /** The inventory ("# fleetplay-inventory: FILE", else inventory.yml), full path. */
  inventory: string;
  limit?: string;
  startAtTask?: string;
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  syntaxCheck: boolean;
}

const FLAGS = {
  '--check': 'check',
  '--diff': 'diff',
  '--list-hosts': 'listHosts',
  '--list-tasks': 'listTasks',
  '--list-tags': 'listTags',
  '--syntax-check': 'syntaxCheck',
} as const;

/** Words of the args line as a shell splits them ("two words" stays one). */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3]);

export function fixtureOptions(name: string): FixtureOptions {
  const text = readFileSync(join(FIXTURES, `${name}.yml`), 'utf8');
  const args = words(/^# fleetplay-args: (.*)$/.exec(text.split('\n')[0])?.[1] ?? '');
  const playbookArg = /^# fleetplay-playbook: (.*)$/m.exec(text)?.[1].trim() ?? `${name}.yml`;
  const env = Object.fromEntries(
    (/^# fleetplay-env: (.*)$/m.exec(text)?.[1].split(' ').filter(Boolean) ?? []).map(
      (kv) => kv.split('=') as [string, string],
    ),
  );
  const o: FixtureOptions = {
    tags: [],
    skipTags: [],
    extraVars: {},
    check: false,
    diff: false,
    verbosity: 0,
    env,
    playbookArg,
    playbook: join(FIXTURES, playbookArg),
    inventory: join(FIXTURES, /^# fleetplay-inventory: (.*)$/m.exec(text)?.[1].trim() ?? 'inventory.yml'),
    listHosts: false,
    listTasks: false,
    listTags: false,
    syntaxCheck: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--tags') o.tags.push(...args[++i].split(','));
    else if (a === '--skip-tags') o.skipTags.push(...args[++i].split(','));
    else if (a === '--limit') o.limit = args[++i];
    else if (a === '--start-at-task') o.startAtTask = args[++i];
    else if (a in FLAGS) o[FLAGS[a as keyof typeof FLAGS]] = true;
    else if (/^-v+$/.test(a)) o.verbosity = a.length - 1;
    else if (a === '-e') {
      const [k, v] = args[++i].split('=');
      o.extraVars[k] = v;
    } else throw new Error(`unhandled fixture arg ${a}`);
  }
  return o;
}

/** library/fixture_diff.py: returns the `diff` it is given (in diff mode only) and `changed`. */
registerModule({
  name: 'fixture_diff',
  args: z.object({ diff: z.unknown().optional(), changed: z.union([z.boolean(), z.string()]).default(true) }).strict(),
  checkMode: true,
  run: (a: { diff?: unknown; changed: boolean | string }, ctx) => ({
    changed: a.changed === true || /^(true|yes|1)$/i.test(String(a.changed)),
    ...(ctx.diff && a.diff !== undefined && a.diff !== null ? { diff: a.diff } : {}),
  }),
});
