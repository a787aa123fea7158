/** `fleetplay promote` and `fleetplay rollback`: the promotion and revert pull requests between stages. */
import type { Command } from 'commander';
import { DEFAULT_INVENTORY, DEFAULT_PLAYBOOK, parseExtraVars, SERVER_OPTION_HELP } from '../engine/cli.js';
import { promote } from './promote.js';
import { rollback } from './rollback.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerPromoteCommands(program: Command): void {
  program
    .command('promote')
    .description('open the promotion pull request of a stage into the stage just above it, with the plan in its body')
    .option('--from <stage>', 'the stage to promote (default: the stage below --to)')
    .option('--to <stage>', 'the stage to promote into (default: the stage above --from)')
    .option('--playbook <file>', 'playbook of the plan', DEFAULT_PLAYBOOK)
    .option('-i, --inventory <path>', 'inventory of the plan (repeatable)', collect, [])
    .option('-e, --extra-vars <vars>', 'NAME=VALUE, JSON/YAML mapping or @file (repeatable)', collect, [])
    .option('--server <url>', SERVER_OPTION_HELP)
    .exitOverride()
    .action(async (o: Record<string, unknown>) => {
      const inventory = o.inventory as string[];
      process.exitCode = await promote({
        from: o.from as string | undefined,
        to: o.to as string | undefined,
        playbook: o.playbook as string,
        inventory: inventory.length ? inventory : [DEFAULT_INVENTORY],
        extraVars: parseExtraVars(o.extraVars as string[]),
        server: o.server as string | undefined,
      });
    });
  program
    .command('rollback')
    .description('open the pull request that reverts the last promotion of a stage whose status is red')
    .requiredOption('--stage <stage>', 'the stage to roll back')
    .exitOverride()
    .action(async (o: Record<string, unknown>) => {
      process.exitCode = await rollback({ stage: o.stage as string });
    });
}
