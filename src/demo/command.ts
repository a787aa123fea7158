/** `fleetplay demo` (`npm run demo`): the main job's story on a simulated fleet. */
import type { Command } from 'commander';
import { runDemo } from './index.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'tell the main job end to end: embedded OTA server, a throw-away fleet repository, promotions main → canary → production',
    )
    .action(async () => {
      const r = await runDemo();
      process.exitCode = r.exitCode;
    });
}
