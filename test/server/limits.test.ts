/**
 * Hosted Mender's limits and Enterprise's deployment options in the embedded server: the cap of
 * active deployments (422 with Mender's error body), `retries` (a failed attempt is tried again by
 * the simulated device) and `phases` (a later phase's devices are offered the deployment only after
 * its start on the server's clock). Every management answer is checked against the contract.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetSpec } from '../../src/server/index.js';
import { testServer } from './helpers.js';

const id = (n: number) => `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DEVICES = Array.from({ length: 10 }, (_, i) => id(i + 1));
const M = '/api/management';
const D = `${M}/v1/deployments/deployments`;
const D2 = `${M}/v2/deployments/deployments`;
const START = Date.parse('2026-03-01T00:00:00Z');

const spec: FleetSpec = {
  start_time: new Date(START).toISOString(),
  artifacts: [{ name: 'os-2', device_types_compatible: ['rpi4'] }],
  devices: DEVICES.map((d, i) => ({
    id: d,
    device_type: 'rpi4',
    artifact_name: 'os-1',
    group: i === 3 ? 'g' : undefined,
  })),
  timing: { poll_interval: 10, download: 10, install: 10, reboot: 10 },
};

type T = Awaited<ReturnType<typeof testServer>>;
const advance = async (t: T, seconds: number) =>
  expect((await t.admin('POST', '/clock/advance', { seconds })).status).toBe(200);
const create = (t: T, body: Record<string, unknown>) => t.api('POST', D, { name: 'n', artifact_name: 'os-2', ...body });
const idOf = (r: { headers: Headers }) => r.headers.get('location')!.split('/').pop()!;
const statuses = async (t: T, dep: string) => {
  const r = await t.api('GET', `${D}/${dep}/devices/list?per_page=500`);
  expect(r.violations).toEqual([]);
  return (r.body as { id: string; status: string }[]).map((d) => d.status);
};
const v2 = async (t: T, dep: string) => {
  const r = await t.api('GET', `${D2}?id=${dep}`);
  expect(r.violations).toEqual([]);
  return (r.body as Record<string, unknown>[])[0];
};

describe('the cap of active deployments', () => {
  let t: T;
  afterEach(() => t.close());

  test('beyond the cap a create is answered 422 with Mender error body; a finished deployment frees its place', async () => {
    t = await testServer(spec, { maxActiveDeployments: 2 });
    const a = await create(t, { devices: [DEVICES[0]] });
    const b = await create(t, { devices: [DEVICES[1]] });
    expect([a.status, b.status]).toEqual([201, 201]);
    const refused = await create(t, { devices: [DEVICES[2]] });
    expect(refused.status).toBe(422);
    expect(refused.violations).toEqual([]);
    expect(refused.body).toEqual({
      error: 'maximum number of active deployments reached',
      request_id: expect.any(String),
    });
    // The group create counts against the same cap.
    const group = await t.api('POST', `${D}/group/g`, { name: 'g', artifact_name: 'os-2' });
    expect([group.status, group.violations]).toEqual([422, []]);
    const list = await t.api('GET', `${D}?status=pending`);
    expect((list.body as unknown[]).length).toBe(2);
    // Both run to their end: the cap admits new deployments again.
    await advance(t, 40);
    expect(await statuses(t, idOf(a))).toEqual(['success']);
    const c = await create(t, { devices: [DEVICES[2]] });
    expect((await create(t, { devices: [DEVICES[4]] })).status).toBe(201);
    expect((await create(t, { devices: [DEVICES[5]] })).status).toBe(422);
    // An aborted deployment is finished too.
    expect((await t.api('PUT', `${D}/${idOf(c)}/status`, { status: 'aborted' })).status).toBe(204);
    expect((await create(t, { devices: [DEVICES[5]] })).status).toBe(201);
    // The admin API: never more than the cap active at once, and every create counted by its answer.
    expect((await t.admin('GET', '/deployments/active')).body).toEqual({ cap: 2, active: 2, peak: 2 });
    await advance(t, 40);
    expect((await t.admin('GET', '/deployments/active')).body).toEqual({ cap: 2, active: 0, peak: 2 });
    const tally = (await t.admin('GET', '/requests/tally')).body as Record<string, Record<string, number>>;
    expect(tally[`POST ${D}`]).toEqual({ 201: 5, 422: 2 });
    expect(tally[`POST ${D}/group/:name`]).toEqual({ 422: 1 });
    expect(tally[`PUT ${D}/:id/status`]).toEqual({ 204: 1 });
    expect((await t.admin('DELETE', '/requests')).status).toBe(204);
    expect((await t.admin('GET', '/requests/tally')).body).toEqual({});
  });

  test('configuration deployments do not count; the default cap is hosted Mender 800', async () => {
    t = await testServer(spec);
    const C = `${M}/v1/deviceconfig/configurations/device`;
    for (const d of DEVICES.slice(0, 3)) {
      expect((await t.api('PUT', `${C}/${d}`, { k: 'v' })).status).toBe(204);
      expect((await t.api('POST', `${C}/${d}/deploy`, { retries: 0 })).status).toBe(200);
    }
    const codes: number[] = [];
    for (let i = 0; i < 801; i++) codes.push((await create(t, { name: `n${i}`, devices: [DEVICES[i % 10]] })).status);
    expect(codes.filter((c) => c === 201).length).toBe(800);
    expect(codes[800]).toBe(422);
  });
});

describe('retries', () => {
  let t: T;
  beforeEach(async () => {
    t = await testServer(spec);
  });
  afterEach(() => t.close());

  test('a failing device tries 1 + retries times before the deployment records its failure', async () => {
    await t.admin('PUT', `/devices/${DEVICES[0]}`, { fail: true });
    const r = await create(t, { devices: [DEVICES[0], DEVICES[1]], retries: 2 });
    expect(r.status).toBe(201);
    const dep = idOf(r);
    expect(await v2(t, dep)).toMatchObject({ retries: 2 });
    // One attempt takes poll + download + install + reboot = 40 s; a retry starts at the next poll.
    await advance(t, 40);
    expect(await statuses(t, dep)).toEqual(['pending', 'success']);
    await advance(t, 40);
    expect((await statuses(t, dep))[0]).toBe('pending');
    await advance(t, 40);
    expect(await statuses(t, dep)).toEqual(['failure', 'success']);
    const stats = await t.api('GET', `${D}/${dep}/statistics`);
    expect(stats.body).toMatchObject({ failure: 1, success: 1, pending: 0 });
  });

  test('a retry succeeds once the cause is gone; without retries the first failure is final', async () => {
    await t.admin('PUT', `/devices/${DEVICES[0]}`, { fail: true });
    await t.admin('PUT', `/devices/${DEVICES[1]}`, { fail: true });
    const retried = idOf(await create(t, { name: 'r', devices: [DEVICES[0]], retries: 1 }));
    const once = idOf(await create(t, { name: 'o', devices: [DEVICES[1]] }));
    await advance(t, 40);
    expect(await statuses(t, once)).toEqual(['failure']);
    expect(await statuses(t, retried)).toEqual(['pending']);
    await t.admin('PUT', `/devices/${DEVICES[0]}`, { fail: false });
    await advance(t, 40);
    expect(await statuses(t, retried)).toEqual(['success']);
    expect((await create(t, { retries: -1, devices: [DEVICES[2]] })).status).toBe(400);
  });
});

describe('phased deployments', () => {
  let t: T;
  afterEach(() => t.close());
  const at = (minutes: number) => new Date(START + minutes * 60_000).toISOString();

  test("a later phase's devices get the deployment only after its start; v2 shows the phases", async () => {
    t = await testServer(spec);
    const r = await create(t, {
      devices: DEVICES,
      phases: [{ batch_size: 20 }, { batch_size: 30, start_ts: at(10) }, { start_ts: at(20) }],
    });
    expect(r.status).toBe(201);
    const dep = idOf(r);
    await advance(t, 60);
    const done = (s: string[]) => s.filter((x) => x === 'success').length;
    expect(await statuses(t, dep)).toEqual(['success', 'success', ...Array<string>(8).fill('pending')]);
    const view = await v2(t, dep);
    expect(view).toMatchObject({ status: 'inprogress' });
    expect(view.phases).toEqual([
      { id: expect.any(String), batch_size: 20, device_count: 2 },
      { id: expect.any(String), batch_size: 30, start_ts: at(10), device_count: 0 },
      { id: expect.any(String), batch_size: 50, start_ts: at(20), device_count: 0 },
    ]);
    await advance(t, 9 * 60 - 60); // 00:09: phase 2 has not started
    expect(done(await statuses(t, dep))).toBe(2);
    await advance(t, 60 + 40); // past 00:10 + one attempt
    expect(done(await statuses(t, dep))).toBe(5);
    await advance(t, 10 * 60);
    expect(done(await statuses(t, dep))).toBe(10);
    expect(((await v2(t, dep)).phases as { device_count: number }[]).map((p) => p.device_count)).toEqual([2, 3, 5]);
  });

  test('a deployment whose first phase is still to come is scheduled; bad phases are refused with 400', async () => {
    t = await testServer(spec);
    const later = idOf(
      await create(t, { devices: DEVICES, phases: [{ batch_size: 50, start_ts: at(5) }, { start_ts: at(6) }] }),
    );
    expect(await v2(t, later)).toMatchObject({ status: 'scheduled' });
    await advance(t, 5 * 60);
    expect(await v2(t, later)).toMatchObject({ status: 'pending' });
    const bad: [unknown[], string][] = [
      [[{ batch_size: 50 }, { batch_size: 60, start_ts: at(7) }], 'add up to more than 100'],
      [[{ batch_size: 50 }, {}], 'phases[1]: start_ts is required'],
      [[{ start_ts: at(7) }, { start_ts: at(8) }], 'phases[0]: batch_size is required'],
      [[{ batch_size: 50 }, { batch_size: 10, start_ts: at(8) }, { start_ts: at(7) }], 'must be later'],
      [[{ batch_size: 50 }, { start_ts: at(4) }], 'must be later'],
      [[{ batch_size: 5 }, { start_ts: at(7) }], 'phases[0] would hold no device of 10'],
      [[{ batch_size: 0 }], 'phases.0.batch_size'],
    ];
    for (const [phases, why] of bad) {
      const r = await create(t, { devices: DEVICES, phases });
      expect(r.status).toBe(400);
      expect(r.violations).toEqual([]);
      expect((r.body as { error: string }).error).toContain(why);
    }
  });

  test('phases, retries and attempts survive a restart from the journal and from a snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-limits-'));
    try {
      for (const compactAfter of [1_000_000, 0]) {
        const dataDir = join(dir, String(compactAfter));
        t = await testServer(spec, { memory: false, dataDir });
        await t.admin('PUT', `/devices/${DEVICES[0]}`, { fail: true });
        const dep = idOf(
          await create(t, { devices: DEVICES, retries: 1, phases: [{ batch_size: 10 }, { start_ts: at(30) }] }),
        );
        await advance(t, 40);
        const before = { statuses: await statuses(t, dep), view: await v2(t, dep) };
        await t.close();
        t = await testServer(spec, { memory: false, dataDir, compactAfter });
        expect({ statuses: await statuses(t, dep), view: await v2(t, dep) }).toEqual(before);
        await advance(t, 40);
        // The retried attempt fails too: its one retry is used up.
        expect((await statuses(t, dep))[0]).toBe('failure');
        await t.close();
      }
      t = await testServer(spec);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
