/**
 * `fleetplay demo`: the main job told end to end against the embedded server and a throw-away
 * fleet repository. Returns what happened so a test can check the story, and whether it went
 * as planned (the exit code).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, formatError } from '../errors/index.js';
import { registerSecret } from '../log/index.js';
import { MenderClient } from '../ota/index.js';
import { fleetSpec, loadDevices, releaseOf, startDemoServer, type DemoServer, type Device } from './fleet.js';
import { PLAYBOOK } from './job.js';
import { Narrator } from './narrate.js';
import { Pipeline } from './pipeline.js';
import { chapterHotfix } from './hotfix.js';
import { FleetRepo } from './repo.js';
import { STANDIN_PLAYBOOK } from './standin.js';
import * as story from './story.js';
import { chapterWavesFix, chapterWavesHalt } from './waves.js';

export interface DemoOptions {
  /** Where inventory/ and playbooks/ come from: the project by default. */
  projectDir?: string;
  stdout?: NodeJS.WritableStream;
}

export interface DemoResult {
  exitCode: number;
  facts: story.StoryFacts;
}

export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The prototype ⑤ reports that it follows canary: the device's word beats the inventory. */
const PROTOTYPE_BRANCH = 'canary';

/** The hardware the rollout chapters' release fails on: only production has it. */
const ROLLING_FAILS_ON = 'raspberrypi2';

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const n = new Narrator(o.stdout ?? process.stdout);
  const projectDir = o.projectDir ?? PROJECT_DIR;
  const facts: story.StoryFacts = { changed: {}, canaryFailures: [], final: [], surprises: [] };
  const loaded = loadDevices(join(projectDir, 'inventory'));
  if (!loaded.ok) {
    n.write(formatError(loaded.error));
    return { exitCode: ExitCode.usage, facts };
  }
  const devices = loaded.value;
  const good = releaseOf(devices, '1.1.0');
  const bad = releaseOf(devices, '1.2.0', ['raspberrypi3']);
  // Good everywhere but on the Raspberry Pi 2, which only production has; 1.3.1 fixes it there.
  const rolling = {
    bad: releaseOf(devices, '1.3.0'),
    fix: releaseOf(devices, '1.3.1', [ROLLING_FAILS_ON]),
    failsOn: ROLLING_FAILS_ON,
  };
  const failing = [...Object.values(bad.images), rolling.bad.images[ROLLING_FAILS_ON]];
  const spec = fleetSpec([good, bad, rolling.bad, rolling.fix], failing);
  const server = await chapterServer(n, projectDir, devices, spec);
  let repo: FleetRepo | undefined;
  let client: MenderClient | undefined;
  try {
    repo = await chapterRepo(n, projectDir);
    client = clientFor(server);
    const p = new Pipeline({ repo, server, env: jobEnv(server) }, client, devices, n);
    const cast: story.Cast = { n, p, repo, good, bad, rolling, facts };
    for (const chapter of [
      story.chapterMain,
      story.chapterCanary,
      story.chapterBadRelease,
      story.chapterProduction,
      chapterHotfix,
      chapterWavesHalt,
      chapterWavesFix,
      story.chapterIdempotent,
      story.chapterTable,
    ]) {
      await chapter(cast);
    }
  } finally {
    client?.close();
    repo?.remove();
    await server.close();
  }
  return { exitCode: ending(n, facts), facts };
}

function ending(n: Narrator, facts: story.StoryFacts): number {
  if (facts.surprises.length === 0) {
    n.write(`\n${n.paint('The story went as planned.', 'green')}`);
    return ExitCode.ok;
  }
  n.write(`\n${n.paint('The story did not go as planned:', 'red')}`);
  for (const s of facts.surprises) n.say(`- ${s}`);
  return ExitCode.hostFailed;
}

async function chapterServer(
  n: Narrator,
  projectDir: string,
  devices: Device[],
  spec: ReturnType<typeof fleetSpec>,
): Promise<DemoServer> {
  n.chapter('The fleet and its OTA server');
  const server = await startDemoServer(join(projectDir, 'inventory'), spec);
  const protos = devices.filter((d) => d.prototype);
  for (const d of protos)
    await server.admin('PUT', `devices/${d.id}`, { attributes: { subscribed_branch: PROTOTYPE_BRANCH } });
  n.say(`embedded Mender-compatible server at ${server.url} (in memory, simulated clock), seeded from inventory/:`);
  for (const d of devices) {
    const follows = d.prototype ? `${PROTOTYPE_BRANCH} (the device reports it)` : (d.branch ?? '-');
    n.item(`${d.mark} ${d.name.padEnd(22)} ${d.about}`);
    n.item(`   follows ${follows}, runs ${d.image}`, 'dim');
  }
  n.say(
    `the server also holds the next releases: 1.1.0 and 1.3.0 for every device type, 1.2.0 for raspberrypi3 and 1.3.1 for ${ROLLING_FAILS_ON}; 1.2.0 fails wherever it is installed, 1.3.0 on ${ROLLING_FAILS_ON}`,
  );
  return server;
}

async function chapterRepo(n: Narrator, projectDir: string): Promise<FleetRepo> {
  n.chapter('A fleet repository with its stage branches');
  const own = existsSync(join(projectDir, PLAYBOOK));
  const repo = await FleetRepo.create(projectDir, own ? {} : { [PLAYBOOK]: STANDIN_PLAYBOOK });
  n.say(`a throw-away git repository at ${repo.dir}: inventory/ and playbooks/ of this project`);
  n.say('branches main → canary → production; every push to one runs the main job for the devices following it');
  return repo;
}

/** What CI would pass as secrets: the OTA token and the configuration's tokens (demo values, masked). */
function jobEnv(server: DemoServer): NodeJS.ProcessEnv {
  const secret = () => {
    const s = `demo-${randomBytes(12).toString('hex')}`;
    registerSecret(s);
    return s;
  };
  return {
    PATH: process.env.PATH,
    MENDER_ACCESS_TOKEN: server.token,
    GHRUNNER_TOKEN: secret(),
    INFLUXDB_TOKEN: secret(),
  };
}

function clientFor(server: DemoServer): MenderClient {
  return new MenderClient({ url: server.url, auth: { kind: 'token', token: server.token } });
}
