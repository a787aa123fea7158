#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { configureLogging, maskSecrets, registerSecretsFromEnv } from '../log/index.js';
import { ExitCode } from '../errors/index.js';
import { commands } from './commands.js';

export function buildProgram(): Command {
  const program = new Command('fleetplay')
    .description('GitOps orchestrator for fleets of embedded devices (Mender-compatible OTA)')
    .version(process.env.npm_package_version ?? '0.1.0')
    .option('--log-format <format>', 'log format: text (readable) or json (one JSON object a line)', 'text')
    .option('--log-level <level>', 'log level: error, warn, info, debug', undefined)
    .hook('preAction', (cmd) => {
      const o = cmd.optsWithGlobals<{ logFormat: string; logLevel?: string }>();
      if (o.logFormat !== 'text' && o.logFormat !== 'json') {
        throw new CommanderError(
          ExitCode.usage,
          'fleetplay.log-format',
          `--log-format must be text or json, not "${o.logFormat}"`,
        );
      }
      configureLogging({ format: o.logFormat, level: o.logLevel });
    });
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  registerSecretsFromEnv();
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Commander prints its own parse errors; ours (thrown in a hook or an action) are printed here.
    if (!e.code.startsWith('commander.')) process.stderr.write(`ERROR! ${maskSecrets(e.message)}\n`);
    return e.exitCode === 0 ? 0 : ExitCode.usage;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.argv[1]?.endsWith('/fleetplay')) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = ExitCode.usage;
    },
  );
}
