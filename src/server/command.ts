/** `fleetplay server`: runs the embedded Mender-compatible server until interrupted. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ExitCode, FleetFailure } from '../errors/index.js';
import { log, printDiagnostic } from '../log/index.js';
import { startServer, type StartOptions } from './index.js';

interface ServerFlags {
  host: string;
  port: number;
  memory?: boolean;
  dataDir?: string;
  spec?: string;
  inventory: string[];
  devices?: number;
  clock: 'real' | 'manual';
  speed: number;
  token: string[];
  user: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];
const int = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number, e.g. 8080`);
  return Number(v);
};

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the embedded Mender-compatible OTA server with simulated devices')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', int('--port'), 8080)
    .option('--memory', 'keep state in memory only (tests, benchmarks)')
    .option('--data-dir <dir>', 'directory of the durable state (journal)')
    .option('--spec <file>', 'fleet spec (YAML/JSON) to seed a new state from')
    .option('--inventory <dir>', 'inventory source to seed devices from (repeatable)', collect, [])
    .option('--devices <n>', 'generate N simulated devices', int('--devices'))
    .addOption(
      new Option('--clock <kind>', 'real clock, or manual (advanced through the admin API)')
        .choices(['real', 'manual'])
        .default('real'),
    )
    .option(
      '--speed <factor>',
      'simulated seconds per real second',
      (v) => {
        const n = Number(v);
        if (!(n > 0)) throw new InvalidArgumentError('--speed must be a positive number, e.g. 10');
        return n;
      },
      1,
    )
    .option(
      '--token <token>',
      'accepted personal access token (repeatable; also FLEETPLAY_SERVER_TOKENS, comma-separated)',
      collect,
      [],
    )
    .option(
      '--user <email:password>',
      'user for POST /useradm/auth/login (repeatable; also FLEETPLAY_SERVER_USERS)',
      collect,
      [],
    )
    .action(async (flags: ServerFlags) => {
      process.exitCode = await runServer(flags);
    });
}

function listFromEnv(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function runServer(flags: ServerFlags): Promise<number> {
  const tokens = [...flags.token, ...listFromEnv('FLEETPLAY_SERVER_TOKENS')];
  const users = [...flags.user, ...listFromEnv('FLEETPLAY_SERVER_USERS')].map((u) => {
    const i = u.indexOf(':');
    return { email: u.slice(0, i), password: u.slice(i + 1) };
  });
  if (users.some((u) => !u.email || !u.password)) {
    console.error('--user must look like email:password, e.g. --user admin@example.com:secret');
    return ExitCode.usage;
  }
  if (tokens.length === 0 && users.length === 0) {
    console.error(
      'the server would accept no credentials: pass --token TOKEN (or FLEETPLAY_SERVER_TOKENS=TOKEN) and/or --user email:password',
    );
    return ExitCode.usage;
  }
  const opts: StartOptions = {
    host: flags.host,
    port: flags.port,
    memory: flags.memory,
    dataDir: flags.dataDir,
    spec: flags.spec,
    inventory: flags.inventory,
    devices: flags.devices,
    clock: flags.clock,
    speed: flags.speed,
    tokens,
    users,
  };
  let server;
  try {
    server = await startServer(opts);
  } catch (e) {
    if (e instanceof FleetFailure) {
      printDiagnostic(process.stderr, e.error, { prefix: '' });
      return ExitCode.usage;
    }
    throw e;
  }
  // stdout carries only the URL, so scripts can read it.
  console.log(server.url);
  log.info(
    `fleetplay server listening on ${server.url} (${flags.memory ? 'in memory' : `state in ${flags.dataDir}`}, ${flags.clock} clock)`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return ExitCode.ok;
}
