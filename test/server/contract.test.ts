/**
 * Contract tests: every management route of the embedded server is called over real HTTP, and
 * every response body is validated against the schema the Mender OpenAPI spec gives for its status.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRoutes, type FleetSpec } from '../../src/server/index.js';
import { MENDER_SPEC, MenderContract } from './contract.js';
import { contract, testServer, TOKEN } from './helpers.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'aaaaaaaa-0000-4000-8000-000000000002';
const C = 'aaaaaaaa-0000-4000-8000-000000000003';
const MISSING = 'ffffffff-0000-4000-8000-00000000ffff';

const spec: FleetSpec = {
  artifacts: [
    { name: 'os-2', device_types_compatible: ['rpi4'], size: 1000 },
    { name: 'os-3', device_types_compatible: ['rpi4', 'rpi3'] },
  ],
  devices: [
    {
      id: A,
      name: 'kiosk',
      device_type: 'rpi4',
      artifact_name: 'os-1',
      group: 'production',
      attributes: { subscribed_branch: 'canary' },
    },
    { id: B, device_type: 'rpi3', artifact_name: 'os-1', group: 'canary' },
    { id: C, device_type: 'rpi4', artifact_name: 'os-1', status: 'pending' },
  ],
  timing: { poll_interval: 10, download: 10, install: 10, reboot: 10 },
};

type Case = [method: string, path: string, body: unknown, status: number];

const M = '/api/management';
/** jest's matcher is typed `any`; held as unknown so the objects it sits in stay typed. */
const anyString: unknown = expect.any(String);
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('Mender management API contract', () => {
  let t: Awaited<ReturnType<typeof testServer>>;
  beforeAll(async () => {
    t = await testServer(spec, { users: [{ email: 'admin@example.com', password: 'correct-horse' }] });
  });
  afterAll(() => t.close());

  async function expectCase([method, path, body, status]: Case) {
    const r = await t.api(method, path, body);
    expect({ call: `${method} ${path}`, status: r.status, violations: r.violations }).toEqual({
      call: `${method} ${path}`,
      status,
      violations: [],
    });
    return r;
  }

  test('useradm login: Basic credentials give a JWT that the management API accepts', async () => {
    const ok = await t.api('POST', `${M}/v1/useradm/auth/login`, undefined, {
      token: null,
      headers: { Authorization: basic('admin@example.com', 'correct-horse') },
    });
    expect(ok.status).toBe(200);
    expect(ok.violations).toEqual([]);
    expect(ok.headers.get('content-type')).toContain('application/jwt');
    const jwt = ok.body as string;
    expect(jwt.split('.')).toHaveLength(3);
    const withJwt = await t.api('GET', `${M}/v1/inventory/devices`, undefined, { token: jwt });
    expect(withJwt.status).toBe(200);
    // Change a whole character of the signature to a different one (the last one carries padding bits).
    const sig = jwt.lastIndexOf('.') + 1;
    const flipped = jwt[sig] === 'A' ? 'B' : 'A';
    const tamperedJwt = `${jwt.slice(0, sig)}${flipped}${jwt.slice(sig + 1)}`;
    const tampered = await t.api('GET', `${M}/v1/inventory/devices`, undefined, { token: tamperedJwt });
    expect(tampered.status).toBe(401);
    const bad = await t.api('POST', `${M}/v1/useradm/auth/login`, undefined, {
      token: null,
      headers: { Authorization: basic('admin@example.com', 'wrong') },
    });
    expect([bad.status, bad.violations]).toEqual([401, []]);
  });

  test('inventory v1: devices, paging headers, groups', async () => {
    const list = await expectCase(['GET', `${M}/v1/inventory/devices?per_page=2`, undefined, 200]);
    expect(list.headers.get('x-total-count')).toBe('3');
    expect(list.headers.get('link')).toContain('rel="next"');
    expect((list.body as unknown[]).length).toBe(2);
    const page2 = await expectCase(['GET', `${M}/v1/inventory/devices?per_page=2&page=2`, undefined, 200]);
    expect((page2.body as { id: string }[]).map((d) => d.id)).toEqual([C]);
    expect(page2.headers.get('link')).toContain('rel="prev"');
    await expectCase(['GET', `${M}/v1/inventory/devices?per_page=501`, undefined, 400]);
    await expectCase(['GET', `${M}/v1/inventory/devices?page=zero`, undefined, 400]);
    await expectCase(['GET', `${M}/v1/inventory/devices?has_group=true&group=production`, undefined, 200]);
    const one = await expectCase(['GET', `${M}/v1/inventory/devices/${A}`, undefined, 200]);
    const attrs = (one.body as { attributes: { name: string; value: unknown; scope: string }[] }).attributes;
    expect(attrs).toEqual(
      expect.arrayContaining([
        { name: 'rootfs-image.version', value: 'os-1', scope: 'inventory' },
        { name: 'group', value: 'production', scope: 'system' },
      ]),
    );
    await expectCase(['GET', `${M}/v1/inventory/devices/${MISSING}`, undefined, 404]);
    await expectCase(['PUT', `${M}/v1/inventory/devices/${C}/group`, { group: 'lab' }, 204]);
    await expectCase(['PUT', `${M}/v1/inventory/devices/${C}/group`, { group: 'no spaces' }, 400]);
    await expectCase(['PUT', `${M}/v1/inventory/devices/${MISSING}/group`, { group: 'lab' }, 404]);
    const g = await expectCase(['GET', `${M}/v1/inventory/devices/${C}/group`, undefined, 200]);
    expect(g.body).toEqual({ group: 'lab' });
    const groups = await expectCase(['GET', `${M}/v1/inventory/groups`, undefined, 200]);
    expect(groups.body).toEqual(['canary', 'lab', 'production']);
    const inGroup = await expectCase(['GET', `${M}/v1/inventory/groups/lab/devices`, undefined, 200]);
    expect(inGroup.body).toEqual([C]);
    await expectCase(['GET', `${M}/v1/inventory/groups/nosuch/devices`, undefined, 404]);
    await expectCase(['DELETE', `${M}/v1/inventory/devices/${C}/group/lab`, undefined, 204]);
    await expectCase(['GET', `${M}/v1/inventory/devices/${C}/group`, undefined, 404]);
    const added = await expectCase(['PATCH', `${M}/v1/inventory/groups/lab/devices`, [B, C, MISSING], 200]);
    expect(added.body).toEqual({ updated_count: 2, matched_count: 2 });
    const removed = await expectCase(['DELETE', `${M}/v1/inventory/groups/lab/devices`, [B], 200]);
    expect(removed.body).toEqual({ updated_count: 1 });
    await expectCase(['PUT', `${M}/v1/inventory/devices/${B}/group`, { group: 'canary' }, 204]);
  });

  test('inventory v2 search: predicates, device_ids, attribute selection, sort, paging', async () => {
    const S = `${M}/v2/inventory/filters/search`;
    const eq = await expectCase([
      'POST',
      S,
      { filters: [{ scope: 'inventory', attribute: 'subscribed_branch', type: '$eq', value: 'canary' }] },
      200,
    ]);
    expect((eq.body as { id: string }[]).map((d) => d.id)).toEqual([A]);
    expect(eq.headers.get('x-total-count')).toBe('1');
    const ne = await expectCase([
      'POST',
      S,
      { filters: [{ scope: 'inventory', attribute: 'subscribed_branch', type: '$ne', value: 'canary' }] },
      200,
    ]);
    expect((ne.body as { id: string }[]).map((d) => d.id)).toEqual([B, C]);
    const inn = await expectCase([
      'POST',
      S,
      { filters: [{ scope: 'system', attribute: 'group', type: '$in', value: ['canary', 'production'] }] },
      200,
    ]);
    expect((inn.body as { id: string }[]).map((d) => d.id)).toEqual([A, B]);
    const nin = await expectCase([
      'POST',
      S,
      { filters: [{ scope: 'inventory', attribute: 'device_type', type: '$nin', value: ['rpi4'] }] },
      200,
    ]);
    expect((nin.body as { id: string }[]).map((d) => d.id)).toEqual([B]);
    const exists = await expectCase([
      'POST',
      S,
      { filters: [{ scope: 'inventory', attribute: 'subscribed_branch', type: '$exists', value: false }] },
      200,
    ]);
    expect((exists.body as { id: string }[]).map((d) => d.id)).toEqual([B, C]);
    const sel = await expectCase([
      'POST',
      S,
      {
        device_ids: [C, A],
        attributes: [{ scope: 'inventory', attribute: 'artifact_name' }],
        sort: [{ scope: 'inventory', attribute: 'device_type', order: 'desc' }],
        per_page: 1,
        page: 2,
      },
      200,
    ]);
    expect(sel.headers.get('x-total-count')).toBe('2');
    expect(sel.body).toEqual([
      {
        id: C,
        attributes: [{ name: 'artifact_name', value: 'os-1', scope: 'inventory' }],
        updated_ts: anyString,
      },
    ]);
    await expectCase(['POST', S, undefined, 200]);
    await expectCase([
      'POST',
      S,
      { filters: [{ scope: 'inventory', attribute: 'x', type: '$like', value: 'a' }] },
      400,
    ]);
    await expectCase(['POST', S, { filters: [{ scope: 'inventory', attribute: 'x', type: '$in', value: 'a' }] }, 400]);
    await expectCase(['POST', S, { per_page: 501 }, 400]);
    const malformed = await t.api('POST', S, undefined, { raw: '{"filters": [' });
    expect([malformed.status, malformed.violations]).toEqual([400, []]);
  });

  test('deviceconfig: set, read, deploy', async () => {
    const D = `${M}/v1/deviceconfig/configurations/device`;
    await expectCase(['PUT', `${D}/${A}`, { kiosk_enabled: 'true', kiosk_url: 'https://example.com' }, 204]);
    await expectCase(['PUT', `${D}/${A}`, { kiosk_enabled: true }, 400]);
    const got = await expectCase(['GET', `${D}/${A}`, undefined, 200]);
    expect(got.body).toMatchObject({ id: A, configured: { kiosk_enabled: 'true' }, reported: {} });
    await expectCase(['GET', `${D}/${MISSING}`, undefined, 404]);
    // Mender's deviceconfig upserts: a configuration for a device it does not know yet is kept, not refused.
    const UNKNOWN = 'eeeeeeee-0000-4000-8000-00000000eeee';
    await expectCase(['PUT', `${D}/${UNKNOWN}`, { mode: 'kiosk' }, 204]);
    const kept = await expectCase(['GET', `${D}/${UNKNOWN}`, undefined, 200]);
    expect(kept.body).toMatchObject({ id: UNKNOWN, configured: { mode: 'kiosk' }, reported: {} });
    const dep = await expectCase(['POST', `${D}/${A}/deploy`, {}, 200]);
    expect((dep.body as { deployment_id: string }).deployment_id).toMatch(/^[0-9a-f-]{36}$/);
    await expectCase(['POST', `${D}/${MISSING}/deploy`, {}, 404]);
  });

  test('deployments: create, list, statistics, devices, abort', async () => {
    const D = `${M}/v1/deployments/deployments`;
    const created = await expectCase(['POST', D, { name: 'rollout', artifact_name: 'os-2', devices: [A, B] }, 201]);
    const location = created.headers.get('location')!;
    const id = location.split('/').pop()!;
    expect(location).toBe(`${D}/${id}`);
    await expectCase(['POST', D, { name: 'x', artifact_name: 'no-such-release', devices: [A] }, 422]);
    await expectCase(['POST', D, { name: 'x', artifact_name: 'os-2' }, 400]);
    await expectCase(['POST', D, { name: 'x', artifact_name: 'os-2', devices: [A], all_devices: true }, 400]);
    await expectCase(['POST', D, { artifact_name: 'os-2', devices: [A] }, 400]);
    const all = await expectCase(['POST', D, { name: 'everyone', artifact_name: 'os-3', all_devices: true }, 201]);
    const allId = all.headers.get('location')!.split('/').pop()!;
    await expectCase(['POST', `${D}/group/canary`, { name: 'canary-rollout', artifact_name: 'os-3' }, 201]);
    await expectCase(['POST', `${D}/group/nosuch`, { name: 'x', artifact_name: 'os-3' }, 400]);

    const v1 = await expectCase(['GET', `${D}?status=pending&per_page=2`, undefined, 200]);
    expect(v1.headers.get('x-total-count')).toBe('4'); // three above + the configuration deployment
    await expectCase(['GET', `${D}?status=bogus`, undefined, 400]);
    const v2 = await expectCase(['GET', `${M}/v2/deployments/deployments?name=rollout&type=software`, undefined, 200]);
    expect((v2.body as { id: string }[]).map((d) => d.id)).toEqual([id]);
    // v1 filters by name through `search`; `name` is a v2 parameter that v1 ignores, as Mender's does.
    const v1ByName = await expectCase(['GET', `${D}?search=rollout&type=software`, undefined, 200]);
    expect((v1ByName.body as { name: string }[]).map((d) => d.name)).toEqual(['canary-rollout', 'rollout']);
    const v1Exact = await expectCase(['GET', `${D}?search=canary-rollout`, undefined, 200]);
    expect((v1Exact.body as { name: string }[]).map((d) => d.name)).toEqual(['canary-rollout']);
    const v1NameIgnored = await expectCase(['GET', `${D}?name=rollout`, undefined, 200]);
    expect(v1NameIgnored.headers.get('x-total-count')).toBe('4');
    const one = await expectCase(['GET', `${D}/${id}`, undefined, 200]);
    expect(one.body).toMatchObject({ id, name: 'rollout', artifact_name: 'os-2', status: 'pending', device_count: 2 });
    await expectCase(['GET', `${D}/${MISSING}`, undefined, 404]);
    const stats = await expectCase(['GET', `${D}/${id}/statistics`, undefined, 200]);
    expect(stats.body).toMatchObject({ pending: 2, success: 0 });
    await expectCase(['GET', `${D}/${MISSING}/statistics`, undefined, 404]);
    const list = await expectCase(['POST', `${D}/statistics/list`, { deployment_ids: [id, allId] }, 200]);
    expect((list.body as { id: string }[]).map((s) => s.id)).toEqual([id, allId]);
    await expectCase(['POST', `${D}/statistics/list`, { deployment_ids: [] }, 400]);
    await expectCase(['GET', `${D}/${id}/devices`, undefined, 200]);
    const devs = await expectCase(['GET', `${D}/${id}/devices/list?status=pending&per_page=1`, undefined, 200]);
    expect(devs.headers.get('x-total-count')).toBe('2');
    await expectCase(['GET', `${D}/${id}/devices/list?status=nonsense`, undefined, 400]);
    const ids = await expectCase(['GET', `${D}/${id}/device_list`, undefined, 200]);
    expect(ids.body).toEqual([A, B]);
    const history = await expectCase(['GET', `${D}/devices/${A}`, undefined, 200]);
    expect((history.body as unknown[]).length).toBe(3);
    await expectCase(['GET', `${D}/devices/${A}?per_page=21`, undefined, 400]);
    await expectCase(['PUT', `${D}/${id}/status`, { status: 'paused' }, 400]);
    await expectCase(['PUT', `${D}/${id}/status`, { status: 'aborted' }, 204]);
    await expectCase(['PUT', `${D}/${id}/status`, { status: 'aborted' }, 422]);
    await expectCase(['PUT', `${D}/${MISSING}/status`, { status: 'aborted' }, 404]);
    await expectCase(['DELETE', `${D}/devices/${B}`, undefined, 204]);
    // A handler that reads no body does not fail on a malformed one (Mender's do not either).
    const ignored = await t.api('DELETE', `${D}/devices/${B}`, undefined, { raw: '{not json' });
    expect([ignored.status, ignored.violations]).toEqual([204, []]);
    const after = await expectCase(['GET', `${D}/devices/${B}?status=aborted`, undefined, 200]);
    expect((after.body as unknown[]).length).toBe(3);
  });

  test('artifacts and releases', async () => {
    const arts = await expectCase(['GET', `${M}/v1/deployments/artifacts?device_type=rpi3`, undefined, 200]);
    expect((arts.body as { name: string }[]).map((a) => a.name)).toEqual(['os-3']);
    const page = await expectCase([
      'GET',
      `${M}/v1/deployments/artifacts/list?sort=name:desc&per_page=1`,
      undefined,
      200,
    ]);
    expect((page.body as { name: string }[]).map((a) => a.name)).toEqual(['os-3']);
    expect(page.headers.get('x-total-count')).toBe('2');
    // Mender's artifact and release listings never answer 400 for their query (the spec lists
    // none): an unknown sort field sorts by name, nonsense paging falls back to the defaults.
    const lenient = await expectCase([
      'GET',
      `${M}/v1/deployments/artifacts/list?sort=size:desc&per_page=501&page=zero`,
      undefined,
      200,
    ]);
    expect((lenient.body as { name: string }[]).map((a) => a.name)).toEqual(['os-3', 'os-2']);
    expect(lenient.headers.get('link')).toContain('per_page=20&page=1>; rel="first"');
    const relLenient = await expectCase([
      'GET',
      `${M}/v2/deployments/deployments/releases?sort=nonsense&per_page=-1`,
      undefined,
      200,
    ]);
    expect((relLenient.body as { name: string }[]).map((r) => r.name)).toEqual(['os-2', 'os-3']);
    await expectCase(['GET', `${M}/v1/deployments/deployments/releases/list?page=0`, undefined, 200]);
    const rel = await expectCase(['GET', `${M}/v1/deployments/deployments/releases?name=os-2`, undefined, 200]);
    expect(rel.body).toMatchObject([{ Name: 'os-2', ArtifactsCount: 1 }]);
    await expectCase(['GET', `${M}/v1/deployments/deployments/releases/list?sort=name:asc`, undefined, 200]);
    const v2 = await expectCase(['GET', `${M}/v2/deployments/deployments/releases?sort=name:desc`, undefined, 200]);
    expect((v2.body as { name: string }[]).map((r) => r.name)).toEqual(['os-3', 'os-2']);
  });

  test('devauth v2: list by status, count, accept/reject, preauthorize', async () => {
    const D = `${M}/v2/devauth/devices`;
    const pending = await expectCase(['GET', `${D}?status=pending`, undefined, 200]);
    const dev = (pending.body as { id: string; auth_sets: { id: string }[] }[])[0];
    expect(dev.id).toBe(C);
    await expectCase(['GET', `${D}?status=sleeping`, undefined, 400]);
    const count = await expectCase(['GET', `${D}/count?status=accepted`, undefined, 200]);
    expect(count.body).toEqual({ count: 2 });
    await expectCase(['GET', `${D}/${C}`, undefined, 200]);
    await expectCase(['GET', `${D}/${MISSING}`, undefined, 404]);
    await expectCase(['GET', `${D}/${C}/auth/${dev.auth_sets[0].id}/status`, undefined, 200]);
    await expectCase(['PUT', `${D}/${C}/auth/${dev.auth_sets[0].id}/status`, { status: 'accepted' }, 204]);
    await expectCase(['PUT', `${D}/${C}/auth/${dev.auth_sets[0].id}/status`, { status: 'sleepy' }, 400]);
    await expectCase(['PUT', `${D}/${C}/auth/${MISSING}/status`, { status: 'rejected' }, 404]);
    const after = await expectCase(['GET', `${D}/count?status=accepted`, undefined, 200]);
    expect(after.body).toEqual({ count: 3 });
    const pre = await expectCase(['POST', D, { identity_data: { mac: '00:11:22:33:44:55' }, pubkey: 'PUBKEY' }, 201]);
    expect(pre.headers.get('location')).toMatch(new RegExp(`^${D}/[0-9a-f-]{36}$`));
    await expectCase(['POST', D, { identity_data: { mac: '00:11:22:33:44:55' }, pubkey: 'PUBKEY' }, 409]);
    await expectCase(['POST', D, { pubkey: 'PUBKEY' }, 400]);
    const preauthorized = await expectCase(['GET', `${D}?status=preauthorized`, undefined, 200]);
    expect((preauthorized.body as unknown[]).length).toBe(1);
  });

  test("every management route answers 401 without a valid token, with Mender's error body", async () => {
    const routes = listRoutes().filter((r) => r.auth === 'management');
    expect(routes.length).toBeGreaterThan(30);
    for (const r of routes) {
      const path = r.template.replace(/:[a-z]+/g, A);
      for (const token of [null, 'wrong-token']) {
        const res = await t.api(r.method, path, r.method === 'GET' ? undefined : {}, { token });
        expect({ route: `${r.method} ${r.template}`, status: res.status, violations: res.violations }).toEqual({
          route: `${r.method} ${r.template}`,
          status: 401,
          violations: [],
        });
        expect(res.body).toMatchObject({ error: anyString, request_id: anyString });
      }
    }
  });

  test('every admin route answers 401 without a valid token, with the error body, and changes nothing', async () => {
    const routes = listRoutes().filter((r) => r.auth === 'admin');
    expect(routes.map((r) => `${r.method} ${r.template}`)).toEqual(
      expect.arrayContaining([
        'POST /api/admin/v1/clock/advance',
        'PUT /api/admin/v1/faults',
        'PUT /api/admin/v1/devices/:id',
      ]),
    );
    const clockBefore = (await t.admin('GET', '/clock')).body;
    for (const r of routes) {
      const path = r.template.replace(/:[a-z]+/g, A);
      const body =
        r.method === 'GET' || r.method === 'DELETE'
          ? undefined
          : r.template.endsWith('/advance')
            ? { seconds: 3600 }
            : { error_rate: 1 };
      for (const token of [null, 'wrong-token']) {
        const res = await t.api(r.method, path, body, { token });
        expect({ route: `${r.method} ${r.template}`, status: res.status }).toEqual({
          route: `${r.method} ${r.template}`,
          status: 401,
        });
        expect(res.body).toMatchObject({ error: anyString, request_id: anyString });
      }
    }
    expect((await t.admin('GET', '/clock')).body).toEqual(clockBefore);
    expect((await t.admin('GET', `/devices/${A}`)).status).toBe(200);
    expect((await t.api('GET', `${M}/v1/inventory/devices`)).status).toBe(200); // no fault was set
  });

  test('unknown routes are 404 and wrong methods 405, with the error body', async () => {
    for (const [method, path, status] of [
      ['GET', `${M}/v1/nothing/here`, 404],
      ['GET', '/', 404],
      ['DELETE', `${M}/v1/inventory/groups`, 405],
    ] as const) {
      const res = await fetch(t.server.url + path, { method, headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error: anyString, request_id: anyString });
    }
  });

  test('a client hanging up in the middle of a request body does not take the server down', async () => {
    const url = new URL(t.server.url);
    await new Promise<void>((resolve) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(
          `PUT ${M}/v1/inventory/devices/${A}/group HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"gro`,
        );
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    const after = await t.api('GET', `${M}/v1/inventory/devices/${A}`);
    expect(after.status).toBe(200);
  });

  test('the validator itself rejects bodies that break the spec', () => {
    const h = new Headers({ 'X-Total-Count': '1', Link: '<x>; rel="first"' });
    const good = {
      id: 'd',
      name: 'n',
      artifact_name: 'a',
      created: '2026-01-01T00:00:00Z',
      status: 'pending',
      device_count: 1,
    };
    const D = `${M}/v1/deployments/deployments`;
    expect(contract.check('GET', `${D}/x`, 200, good, h).errors).toEqual([]);
    expect(contract.check('GET', `${D}/x`, 200, { ...good, status: 'running' }, h).errors).not.toEqual([]);
    expect(contract.check('GET', `${D}/x`, 200, { ...good, id: undefined }, h).errors).not.toEqual([]);
    expect(contract.check('GET', `${D}/x`, 200, { ...good, devcie_count: 1 }, h).errors).not.toEqual([]);
    expect(contract.check('GET', D, 200, [good], new Headers()).errors).toEqual([
      'missing header X-Total-Count',
      'missing header Link',
    ]);
    expect(contract.check('GET', `${D}/x`, 404, { message: 'no' }, h).errors).not.toEqual([]);
  });

  test('the validator fails on a status the spec does not declare for the operation', () => {
    const err = { error: 'x', request_id: 'r' };
    const G = `${M}/v1/inventory/groups`;
    // GET /inventory/groups declares 200 and 500 only: a 404 with a perfect error body still fails.
    expect(contract.check('GET', G, 404, err, new Headers()).errors).toEqual([
      `status 404 is not declared for GET /api/management/v1/inventory/groups`,
    ]);
    // An undeclared success with no body fails too (PUT deviceconfig declares 204, not 200).
    expect(
      contract.check('PUT', `${M}/v1/deviceconfig/configurations/device/x`, 200, undefined, new Headers()).errors,
    ).toEqual(['status 200 is not declared for PUT /api/management/v1/deviceconfig/configurations/device/{deviceId}']);
    // A 500 is declared; a 401 on inventory is allowed (Mender's gateway answers it), with the error body only.
    expect(contract.check('GET', G, 500, err, new Headers()).errors).toEqual([]);
    expect(contract.check('GET', G, 401, err, new Headers()).errors).toEqual([]);
    expect(contract.check('GET', G, 401, { message: 'no' }, new Headers()).errors).not.toEqual([]);
    // The 400 allowance names two listings; artifacts/list is not one of them.
    expect(
      contract.check('GET', `${M}/v1/deployments/deployments/x/devices/list`, 400, err, new Headers()).errors,
    ).toEqual([]);
    expect(contract.check('GET', `${M}/v1/deployments/artifacts/list`, 400, err, new Headers()).errors).toEqual([
      'status 400 is not declared for GET /api/management/v1/deployments/artifacts/list',
    ]);
    // The gateway statuses never excuse an undeclared success or client error elsewhere.
    expect(contract.check('GET', G, 429, err, new Headers()).errors).toEqual([]);
    expect(contract.check('GET', G, 409, err, new Headers()).errors).not.toEqual([]);
  });

  test("the template a path matches does not depend on the order of the spec's keys", () => {
    const doc = JSON.parse(readFileSync(MENDER_SPEC, 'utf8')) as { paths: Record<string, unknown> };
    doc.paths = Object.fromEntries(Object.entries(doc.paths).reverse());
    const dir = mkdtempSync(join(tmpdir(), 'fleetplay-spec-'));
    writeFileSync(join(dir, 'reversed.json'), JSON.stringify(doc));
    const reversed = new MenderContract(join(dir, 'reversed.json'));
    const D = `${M}/v1/deployments/deployments`;
    // A literal segment wins over a parameter where they first differ, as in Mender's router.
    for (const c of [contract, reversed]) {
      expect(c.template(`${D}/devices/statistics`)).toBe(`${D}/devices/{id}`);
      expect(c.template(`${D}/${A}/statistics`)).toBe(`${D}/{deployment_id}/statistics`);
    }
    const concrete = Object.keys(doc.paths).map((t) => t.replace(/\{[^}]+\}/g, 'devices'));
    expect(concrete.map((p) => reversed.template(p))).toEqual(concrete.map((p) => contract.template(p)));
  });

  test('the validator closes inline response schemas: an extra field fails', () => {
    const P = `${M}/v1/inventory/groups/lab/devices`;
    expect(contract.check('PATCH', P, 200, { updated_count: 1, matched_count: 1 }, new Headers()).errors).toEqual([]);
    expect(
      contract.check('PATCH', P, 200, { updated_count: 1, matched_count: 1, skipped_count: 0 }, new Headers()).errors,
    ).not.toEqual([]);
    expect(contract.check('DELETE', P, 200, { updated_count: 1, matched_count: 1 }, new Headers()).errors).not.toEqual(
      [],
    );
  });

  test('a failed device deployment has a text log (log: true in the device list); others 404', async () => {
    const D = `${M}/v1/deployments/deployments`;
    await t.admin('PUT', `/devices/${A}`, { fail: true });
    await expectCase(['POST', D, { name: 'doomed', artifact_name: 'os-2', devices: [A] }, 201]);
    await t.admin('POST', '/clock/advance', { seconds: 3600 });
    const failed = await expectCase(['GET', `${D}/devices/${A}?status=failure`, undefined, 200]);
    const entry = (failed.body as { deployment: { id: string }; device: { log: boolean } }[])[0];
    expect(entry.device.log).toBe(true);
    const log = await expectCase(['GET', `${D}/${entry.deployment.id}/devices/${A}/log`, undefined, 200]);
    expect(log.headers.get('content-type')).toContain('text/plain');
    expect(String(log.body)).toMatch(/error: the new image did not commit[\s\S]*Rolling back to os-1/);
    await expectCase(['GET', `${D}/${entry.deployment.id}/devices/${B}/log`, undefined, 404]);
    await expectCase(['GET', `${D}/${MISSING}/devices/${A}/log`, undefined, 404]);
  });

  test('every implemented management route was exercised with a spec-declared success status', () => {
    const routes = listRoutes().filter((r) => r.auth !== 'admin');
    const missing = routes.filter((r) => {
      const template = contract.template(r.template.replace(/:[a-z]+/g, A));
      return ![...t.covered].some((c) => c.startsWith(`${r.method} ${template} 2`));
    });
    expect(missing).toEqual([]);
  });
});
