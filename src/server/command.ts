/** `fleetplay server`: runs the embedded Mender-compatible server until interrupted. */
import { BlockList, isIP } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ExitCode, FleetFailure } from '../errors/index.js';
import { log, printDiagnostic } from '../log/index.js';
import { DEFAULT_MAX_ACTIVE_DEPLOYMENTS } from './app.js';
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
  adminToken?: string;
  allowRemote?: boolean;
  maxActiveDeployments: number;
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
    .option('--host <host>', 'address to bind (beyond loopback only with --allow-remote)', '127.0.0.1')
    .option('--allow-remote', 'allow a --host other machines can reach (plain HTTP: tokens travel in clear text)')
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
    .option(
      '--max-active-deployments <n>',
      'active software deployments allowed at once, answered 422 beyond as hosted Mender does (0: no cap)',
      int('--max-active-deployments'),
      DEFAULT_MAX_ACTIVE_DEPLOYMENTS,
    )
    .option(
      '--admin-token <token>',
      'enable the admin API (clock, faults, request log) for this token (also FLEETPLAY_SERVER_ADMIN_TOKEN); off without it',
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

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether only this machine can reach an address: 127.0.0.0/8, ::1 (also IPv4-mapped) or localhost. */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const v = isIP(host);
  return v !== 0 && loopback.check(host, v === 6 ? 'ipv6' : 'ipv4');
}

/** A bind address beyond loopback needs --allow-remote (then a warning); the message when refused. */
function remoteRefusal(flags: ServerFlags): string | undefined {
  if (isLoopback(flags.host)) return undefined;
  if (!flags.allowRemote)
    return `--host ${flags.host} would make the server reachable from other machines, over plain HTTP with its tokens in clear text: pass --allow-remote as well if that is meant, or bind 127.0.0.1 (the default)`;
  console.error(
    `warning: the server listens on ${flags.host}, beyond this machine (--allow-remote): requests and tokens travel unencrypted; put it behind TLS or a firewall`,
  );
  return undefined;
}

async function runServer(flags: ServerFlags): Promise<number> {
  const remote = remoteRefusal(flags);
  if (remote) {
    console.error(remote);
    return ExitCode.usage;
  }
  const tokens = [...flags.token, ...listFromEnv('FLEETPLAY_SERVER_TOKENS')];
  const adminToken = flags.adminToken ?? (process.env.FLEETPLAY_SERVER_ADMIN_TOKEN || undefined);
  if (adminToken !== undefined && tokens.includes(adminToken)) {
    console.error(
      'the admin token is also a management token: give --admin-token (FLEETPLAY_SERVER_ADMIN_TOKEN) a value of its own',
    );
    return ExitCode.usage;
  }
  const users = [...flags.user, ...listFromEnv('FLEETPLAY_SERVER_USERS')].map((u) => {
    const i = u.indexOf(':');
    return { email: u.slice(0, i), password: u.slice(i + 1) };
  });
  if (users.some((u) => !u.email || !u.password)) {
    console.error('--user must look like email:password, e.g. --user admin@example.com:secret');
    return ExitCode.usage;
  }
  if (flags.clock === 'manual' && adminToken === undefined) {
    console.error(
      '--clock manual moves only through the admin API (POST /api/admin/v1/clock/advance): pass --admin-token TOKEN as well',
    );
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
    adminToken,
    users,
    maxActiveDeployments: flags.maxActiveDeployments,
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
    `fleetplay server listening on ${server.url} (${flags.memory ? 'in memory' : `state in ${flags.dataDir}`}, ${flags.clock} clock, admin API ${adminToken === undefined ? 'off' : 'on'})`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return ExitCode.ok;
}
