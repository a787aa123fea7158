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
      checkLogLevel(o.logLevel, process.env.FLEETPLAY_LOG_LEVEL);
      configureLogging({ format: o.logFormat, level: o.logLevel });
    });
  for (const register of commands) register(program);
  return program;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'];

/** An unknown level would otherwise pass silently (winston then logs nothing of what was asked for). */
function checkLogLevel(flag: string | undefined, env: string | undefined): void {
  const [given, from] = flag !== undefined ? [flag, '--log-level '] : [env, 'FLEETPLAY_LOG_LEVEL='];
  if (given === undefined || given === '' || LOG_LEVELS.includes(given)) return;
  throw new CommanderError(
    ExitCode.usage,
    'fleetplay.log-level',
    `${from}${given}: write one of ${LOG_LEVELS.join(', ')} (-v, -vv for more of the run's own output)`,
  );
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
