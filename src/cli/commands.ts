import type { Command } from 'commander';
import { registerDemoCommand } from '../demo/command.js';
import { registerRunCommand } from '../engine/cli.js';
import { registerInitCommand } from '../init/command.js';
import { inventoryCommand } from '../inventory/command.js';
import { registerMonitorCommand } from '../monitor/command.js';
import { registerPlanCommand } from '../plan/command.js';
import { registerGuardCommand } from '../promote/guard-command.js';
import { registerPromoteCommands } from '../promote/command.js';
import { registerServer } from '../server/command.js';
import { registerAdvanceCommand } from '../stage/advance.js';
import { registerStagesCommand } from '../stage/command.js';

/**
 * Registry of subcommands. Each concept registers its own command from its folder
 * (init, server, inventory, run, plan, promote, monitor, stages, advance, demo, guard), so this file is the only place they meet.
 */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerInitCommand,
  registerServer,
  inventoryCommand(),
  registerRunCommand,
  registerPlanCommand,
  registerMonitorCommand,
  registerPromoteCommands,
  registerStagesCommand,
  registerAdvanceCommand,
  registerDemoCommand,
  registerGuardCommand,
];
