/** The pull request comment as a pure function of the plan: sections, folding, GitHub's size limit, secrets. */
import { registerSecret } from '../../src/log/index.js';
import { clearSecretsForTests } from '../../src/log/secrets.js';
import { fitComment, MAX_COMMENT_CHARS, PLAN_MARKER, renderComment, type FailedHost } from '../../src/plan/comment.js';
import type { DevicePlan, Plan } from '../../src/plan/model.js';
import type { InventoryChanges } from '../../src/plan/stages.js';

afterEach(() => clearSecretsForTests());

const N = 10_000;
/** Long readable names, as a fleet of kiosks might have: the worst case for the size limit. */
const host = (i: number) => `kiosk-${'platform-'.repeat(8)}${String(i).padStart(5, '0')}`;
const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function bigPlan(): Plan {
  const devices: DevicePlan[] = Array.from({ length: N }, (_, i) => ({
    host: host(i),
    device_id: id(i),
    os: { action: 'deploy', from: 'fleet-os-1.0.0-raspberrypi4', to: 'fleet-os-1.1.0-raspberrypi4' },
    config: { action: 'set', added: ['kiosk_url'], changed: ['os_image'], removed: [] },
  }));
  return { schema: 'fleetplay.plan/1', devices };
}

function bigChanges(): InventoryChanges {
  const all = Array.from({ length: N }, (_, i) => ({ host: host(i), device_id: id(i) }));
  return {
    moved: all.map((d) => ({ ...d, from: 'production', to: 'canary' })),
    added: all.map((d) => ({ ...d, stage: 'canary' })),
    removed: all.map((d) => ({ ...d, stage: 'production' })),
  };
}

describe('the plan comment', () => {
  it('10k devices in every section: each list folded past 50 with the rest counted, under 65,536 characters', () => {
    const failures: FailedHost[] = Array.from({ length: N }, (_, i) => ({
      host: host(i),
      status: 'failed',
      task: 'desired_state : Render the device configuration',
      where: 'playbooks/roles/desired_state/tasks/main.yml:20',
      message: `GHRUNNER_TOKEN is empty: ${'the GitHub runner on this device needs a registration token; '.repeat(3)}`,
    }));
    const body = renderComment({ plan: bigPlan(), changes: bigChanges(), failures, branch: 'canary', pullRequest: 3 });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(body.startsWith(`${PLAN_MARKER}\n`)).toBe(true);
    for (const title of [
      'Stage moves (10,000',
      'Added to the inventory (10,000)',
      'Removed from the inventory (10,000)',
    ])
      expect(body).toContain(`### ${title}`);
    expect(body).toContain('### Hosts that would fail (10,000)');
    // Four folded lists (moves, added, removed, failures) and the device table.
    expect(body.match(/^_… and 9,950 more devices_$/gm)).toHaveLength(5);
    expect(body).toContain('10,000 devices: 10,000 to update OS, 10,000 to set configuration');
    expect(body).toContain(`| ${host(49)} | \`${id(49)}\` | production | canary |`);
    expect(body).not.toContain(host(50));
  });

  it('a body over the limit loses whole lines from the end, and says how many', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'x'.repeat(90)}`);
    const body = `${PLAN_MARKER}\n${lines.join('\n')}\n`;
    const cut = fitComment(body, 10_000);
    expect(cut.length).toBeLessThanOrEqual(10_000);
    const kept = cut.split('\n').filter((l) => l.startsWith('line ')).length;
    expect(kept).toBeGreaterThan(90);
    expect(cut).toContain(`_… ${1001 - kept} more lines cut: GitHub takes at most 10,000 characters per comment._`);
    expect(cut.startsWith(`${body.slice(0, 500)}`)).toBe(true);
    expect(fitComment(body, body.length)).toBe(body);
  });

  it('from the repository alone it says plainly that live device state was not consulted', () => {
    const body = renderComment({
      plan: { schema: 'fleetplay.plan/1', devices: [] },
      changes: { moved: [], added: [], removed: [] },
      failures: [],
      branch: 'production',
      repositoryOnly: 'This pull request comes from a fork.',
    });
    expect(body).toContain('> **Live device state was not consulted.** This pull request comes from a fork.');
    expect(body).toContain('No device changes stage, and none is added to or removed from the inventory.');
    expect(body).toContain('No device changes.');
  });

  it('masks registered secrets wherever they show, failure messages included', () => {
    registerSecret('ghr-very-secret-4242');
    const body = renderComment({
      plan: { schema: 'fleetplay.plan/1', devices: [] },
      changes: { moved: [], added: [], removed: [] },
      failures: [
        { host: 'gha-runner', status: 'failed', task: 't', message: 'bad token ghr-very-secret-4242 | refused' },
      ],
      branch: 'main',
    });
    expect(body).not.toContain('ghr-very-secret-4242');
    expect(body).toMatch(/^\| gha-runner \| t \| bad token \*+ \\\| refused \|$/m);
  });
});
