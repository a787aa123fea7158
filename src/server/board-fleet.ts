/**
 * A generated fleet of many boards as both sides see it: the embedded server's spec (one image
 * per board to update to, every device on one older image) and the fleet repository's inventory
 * naming the same devices, grouped by board exactly as the server's `generate` spreads them. Offline
 * devices outside the inventory carry deployments "from elsewhere" (another team's), which stay
 * active because their devices never poll: what a cap of active deployments counts although the
 * fleet did not create them. The cap's test (test/stage/cap.test.ts) and bench (bench/cap.mjs,
 * through dist/) build their fleet here, so both measure the same one.
 */
import { generatedDeviceId, generatedDeviceType, type FleetSpec } from './spec.js';

export interface BoardFleetOptions {
  /** Devices generated, spread round-robin over the boards. */
  devices: number;
  /** How many boards (device types), each with its own image. */
  boards: number;
  /** Offline devices outside the fleet, one deployment from elsewhere each. */
  elsewhere: number;
  /** The stage: the inventory group holding every device, and the branch devices subscribe to. */
  stage: string;
}

/** A deployment create body (POST /api/management/v1/deployments/deployments). */
export interface DeploymentBody {
  name: string;
  artifact_name: string;
  devices: string[];
}

export interface BoardFleet {
  boards: string[];
  /** The image each board is to run. */
  image(board: string): string;
  spec: FleetSpec;
  /** The fleet repository's inventory: path → text. */
  files: Record<string, string>;
  /** One create per offline device: deployments that stay active. */
  elsewhere: DeploymentBody[];
}

const INSTALLED = 'fleet-os-1';

export function boardFleet(o: BoardFleetOptions): BoardFleet {
  const boards = Array.from({ length: o.boards }, (_, k) => `board${String(k).padStart(2, '0')}`);
  const image = (board: string) => `fleet-os-2-${board}`;
  const offline = Array.from({ length: o.elsewhere }, (_, i) => `elsewhere-${i}`);
  const spec: FleetSpec = {
    artifacts: [
      ...boards.map((b) => ({ name: image(b), device_types_compatible: [b] })),
      { name: INSTALLED, device_types_compatible: boards },
    ],
    generate: { count: o.devices, device_types: boards, artifact_name: INSTALLED },
    devices: offline.map((id) => ({ id, device_type: boards[0], artifact_name: INSTALLED, online: false })),
  };
  const files = {
    'inventory/hosts.yml': hostsYml(o, boards),
    'inventory/group_vars/all.yml': allYml(o.stage, boards, image),
  };
  const elsewhere = offline.map((id, i) => ({
    name: `other team ${i}`,
    artifact_name: image(boards[0]),
    devices: [id],
  }));
  return { boards, image, spec, files, elsewhere };
}

/** Every device in the stage's group, and in its board's group, which sets `device_type`. */
function hostsYml(o: BoardFleetOptions, boards: string[]): string {
  const byBoard = new Map(boards.map((b) => [b, [] as string[]]));
  const stage: string[] = [];
  for (let i = 1; i <= o.devices; i++) {
    const line = `        ${generatedDeviceId(i)}:`;
    stage.push(line);
    byBoard.get(generatedDeviceType(boards, i))!.push(line);
  }
  const lines = ['all:', '  children:', `    ${o.stage}:`, '      hosts:', ...stage];
  for (const [b, hosts] of byBoard)
    lines.push(`    ${b}:`, `      vars: {device_type: ${b}}`, '      hosts:', ...hosts);
  return `${lines.join('\n')}\n`;
}

/** Each board's image: the desired state. The server is given to the run (it is known only then). */
function allYml(stage: string, boards: string[], image: (b: string) => string): string {
  const lines = [`subscribed_branch: ${stage}`, 'os_image:', ...boards.map((b) => `  ${b}: ${image(b)}`)];
  return `${lines.join('\n')}\n`;
}
