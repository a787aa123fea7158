/**
 * `fleetplay run [PLAYBOOK] -i INVENTORY …` — the ansible-playbook-like command.
 * Mode comes from --mode or PLAYBOOK_MODE (dry-run by default: nothing is written anywhere).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, formatError } from '../errors/index.js';
import { parseMaxFailed } from '../monitor/options.js';
import { parseYaml } from './yaml.js';
import { DEFAULT_FORKS, modeFrom } from './run.js';
import { runStage } from '../stage/index.js';
import { DEFAULT_PLAYBOOK, fleetPlaybook } from '../stage/playbook.js';
import { isListing, listPlaybook } from './listing.js';

export { DEFAULT_PLAYBOOK } from '../stage/playbook.js';
export const DEFAULT_INVENTORY = 'inventory/';
/** The same words for every command's --server (the precedence is src/ota/server-url.ts's). */
export const SERVER_OPTION_HELP =
  'OTA (Mender) server URL; beats -e mender_server, MENDER_SERVER_URL and the mender_server variable';

/** -e NAME=VALUE (several per flag, space separated), -e '{"json": 1}' / YAML, or -e @file. */
export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    const text = v.trim();
    if (/^[{[@]/.test(text)) {
      const src = text.startsWith('@') ? `__file__` : text;
      const parsed = src === '__file__' ? readExtraFile(text.slice(1)) : parseYaml(text, '-e');
      if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
        throw new CommanderError(
          ExitCode.usage,
          'fleetplay.extra-vars',
          `-e ${v}: not a YAML/JSON mapping; write -e '{"name": "value"}', NAME=VALUE or @file`,
        );
      Object.assign(out, parsed.value);
      continue;
    }
    for (const pair of text.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []) {
      const i = pair.indexOf('=');
      if (i <= 0)
        throw new CommanderError(
          ExitCode.usage,
          'fleetplay.extra-vars',
          `-e ${pair}: write NAME=VALUE, a JSON/YAML mapping or @file`,
        );
      out[pair.slice(0, i)] = pair.slice(i + 1).replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return out;
}

function readExtraFile(path: string) {
  return parseYaml(requireText(path), path);
}

function requireText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new CommanderError(ExitCode.usage, 'fleetplay.extra-vars', `-e @${path}: cannot read the file`);
  }
}

export const inventoryOf = (o: Record<string, unknown>) =>
  (o.inventory as string[]).length ? (o.inventory as string[]) : [DEFAULT_INVENTORY];

const collect = (v: string, prev: string[]) => [...prev, v];
const splitList = (v: string, prev: string[]) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/**
 * ansible-playbook takes `--limit ''` as no limit and runs every host; an empty pattern is far more
 * often an unset shell variable than a wish to update the whole fleet, so it is refused.
 */
function nonEmptyLimit(v: string): string {
  if (v.trim()) return v;
  throw new InvalidArgumentError(
    'an empty pattern would select every device; write a device, group or pattern (--limit kiosks), or leave --limit out to run on all',
  );
}

/** What to run against, the same for `run` and `plan`: inventory, limit, extra vars, server, stage branch. */
export function targetOptions(c: Command): Command {
  return c
    .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'limit to hosts matching the pattern', nonEmptyLimit)
    .option('-e, --extra-vars <vars>', 'NAME=VALUE, JSON/YAML mapping or @file (repeatable)', collect, [])
    .option('--server <url>', SERVER_OPTION_HELP)
    .option(
      '--branch <name>',
      'the stage branch being run (default: from git; a detached HEAD in CI uses GITHUB_REF_NAME)',
    );
}

export function registerRunCommand(program: Command): void {
  targetOptions(
    program
      .command('run')
      .description('run a playbook against the fleet (dry-run unless --mode run)')
      .argument('[playbook]', 'playbook file', DEFAULT_PLAYBOOK),
  )
    .addOption(
      new Option('--mode <mode>', 'run | dry-run | dry-run-debug (env PLAYBOOK_MODE; default dry-run)').choices([
        'run',
        'dry-run',
        'dry-run-debug',
      ]),
    )
    .option('-C, --check', 'check mode: report what would change, change nothing')
    .option('-D, --diff', 'show differences')
    .option('-t, --tags <tags>', 'only tasks with these tags (comma separated, repeatable)', splitList, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags', splitList, [])
    .option('-f, --forks <n>', `API calls in flight at once (default ${DEFAULT_FORKS})`)
    .option('--report <file>', 'write the JSON run report here')
    .option(
      '--max-failed <n>',
      'failed hosts the plan may have and still apply, for the others (N or P%; default 0, or the play max_fail_percentage)',
    )
    .option('-v, --verbose', 'more output (repeat: -vv, -vvv)', (_v: string, prev: number) => prev + 1, 0)
    .option('--list-hosts', 'list the hosts each play would run on; run nothing')
    .option('--list-tasks', 'list the tasks each play would run (after --tags/--skip-tags); run nothing')
    .option('--list-tags', 'list the tags of the tasks each play would run; run nothing')
    .option('--syntax-check', 'check the playbook and the inventory; run nothing')
    .option('--start-at-task <name>', 'start at the first task with this name ("role : name" or a glob also match)')
    // Usage errors become exit code 1 through main(), not process.exit inside commander.
    .exitOverride()
    .action(async (playbook: string, o: Record<string, unknown>) => {
      if (isListing(o)) return listOnly(playbook, o);
      const mode = modeFrom((o.mode as string | undefined) ?? process.env.PLAYBOOK_MODE);
      if (!mode)
        throw new CommanderError(
          ExitCode.usage,
          'fleetplay.mode',
          `PLAYBOOK_MODE=${process.env.PLAYBOOK_MODE}: write run, dry-run or dry-run-debug`,
        );
      const forks = o.forks === undefined ? undefined : Number(o.forks);
      if (forks !== undefined && (!Number.isInteger(forks) || forks < 1))
        throw new CommanderError(
          ExitCode.usage,
          'fleetplay.forks',
          `--forks ${String(o.forks)}: write a whole number ≥ 1 (the API calls in flight at once)`,
        );
      const maxFailed = o.maxFailed === undefined ? undefined : parseMaxFailed(o.maxFailed as string);
      if (maxFailed && !maxFailed.ok)
        throw new CommanderError(ExitCode.usage, 'fleetplay.max-failed', formatError(maxFailed.error));
      const inventory = inventoryOf(o);
      // The stage layer (src/stage) adds branch and commit from git, request counts and the job summary.
      const r = await runStage({
        playbook,
        inventory,
        mode,
        check: o.check === true,
        diff: o.diff === true,
        limit: o.limit as string | undefined,
        extraVars: parseExtraVars(o.extraVars as string[]),
        tags: o.tags as string[],
        skipTags: o.skipTags as string[],
        forks,
        verbosity: o.verbose as number,
        report: o.report as string | undefined,
        branch: o.branch as string | undefined,
        startAtTask: o.startAtTask as string | undefined,
        server: o.server as string | undefined,
        maxFailed: maxFailed?.value,
        // A run whose branch moved on before its first write writes nothing (src/stage/fresh.ts).
        checkFresh: true,
      });
      process.exitCode = r.exitCode;
    });
}

/** The listing flags read the playbook and the inventory only: no git, no OTA server, no job summary. */
function listOnly(playbook: string, o: Record<string, unknown>): void {
  // The playbook as given (ansible-playbook prints it so), or the package's when the repository has none.
  const pb = fleetPlaybook(playbook, process.cwd());
  if (pb.note) process.stderr.write(pb.note);
  const r = listPlaybook({
    playbook: pb.note ? pb.path : playbook,
    inventory: inventoryOf(o),
    limit: o.limit as string | undefined,
    tags: o.tags as string[],
    skipTags: o.skipTags as string[],
    listHosts: o.listHosts === true,
    listTasks: o.listTasks === true,
    listTags: o.listTags === true,
    syntaxCheck: o.syntaxCheck === true,
  });
  process.exitCode = r.exitCode;
}
