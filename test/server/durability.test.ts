/**
 * Durability: the server process is SIGKILLed during a stream of writes and started again on
 * the same data directory; every write acknowledged with 2xx must still be there. Damaged state
 * files are clear errors, a torn last line (a write cut by the crash) is dropped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/server/index.js';
import { FleetFailure } from '../../src/errors/index.js';
import { ADMIN_TOKEN, TOKEN } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'dist/cli/main.js');
const M = '/api/management';

/** dist/ is what the `fleetplay` bin runs; rebuild it when a source file is newer. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  let built = 0;
  try {
    built = statSync(cli).mtimeMs;
  } catch {
    built = 0;
  }
  if (newest(join(root, 'src')) > built) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('build failed');
  }
}

const spec = {
  artifacts: [{ name: 'os-2', device_types_compatible: ['rpi4'] }],
  generate: { count: 20, device_types: ['rpi4'], artifact_name: 'os-1' },
};

function spawnServer(dataDir: string, specFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      cli,
      'server',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--spec',
      specFile,
      '--token',
      TOKEN,
      '--admin-token',
      ADMIN_TOKEN,
      '--clock',
      'manual',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((res, rej) => {
    let out = '';
    let errText = '';
    child.stderr.on('data', (c) => (errText += String(c)));
    child.stdout.on('data', (c) => {
      out += String(c);
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) res({ child, url: line.trim() });
    });
    child.once('exit', (code) => rej(new Error(`server exited ${code}: ${errText}`)));
  });
}

const call = (url: string, method: string, path: string, body?: unknown) =>
  fetch(url + path, {
    method,
    headers: {
      Authorization: `Bearer ${path.startsWith('/api/admin/') ? ADMIN_TOKEN : TOKEN}`,
      'Content-Type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('durability', () => {
  let dir: string;
  beforeAll(() => ensureBuilt());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetplay-server-'));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('SIGKILL during a stream of writes loses nothing that was acknowledged', async () => {
    const data = join(dir, 'data');
    const { child, url } = await spawnServer(data, join(dir, 'spec.json'));
    const devices = (
      (await (await call(url, 'GET', `${M}/v1/inventory/devices?per_page=20`)).json()) as { id: string }[]
    ).map((d) => d.id);
    const ackedSeq = new Map<string, number>();
    const ackedDeployments: string[] = [];
    let stop = false;
    // Eight writers: six update one device's configuration with a rising counter, two create deployments.
    const writer = async (w: number) => {
      for (let seq = 1; !stop; seq++) {
        try {
          if (w < 6) {
            const res = await call(url, 'PUT', `${M}/v1/deviceconfig/configurations/device/${devices[w]}`, {
              seq: String(seq),
            });
            if (res.status === 204) ackedSeq.set(devices[w], seq);
          } else {
            const res = await call(url, 'POST', `${M}/v1/deployments/deployments`, {
              name: `w${w}-${seq}`,
              artifact_name: 'os-2',
              devices: [devices[10 + w]],
            });
            if (res.status === 201) ackedDeployments.push(res.headers.get('location')!.split('/').pop()!);
          }
        } catch {
          return; // connection gone: the server was killed
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    const exited = new Promise((r) => child.once('exit', r));
    // Kill mid-stream once every writer has been acknowledged and 40 writes in all (time-based would flake on a busy machine).
    const acked = () => [...ackedSeq.values()].reduce((x, y) => x + y, 0) + ackedDeployments.length;
    for (
      const until = Date.now() + 30_000;
      Date.now() < until && (ackedSeq.size < 6 || ackedDeployments.length < 2 || acked() < 40);
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited;
    expect(ackedSeq.size).toBe(6);
    expect(acked()).toBeGreaterThanOrEqual(40);
    expect(ackedDeployments.length).toBeGreaterThan(0);

    const again = await spawnServer(data, join(dir, 'spec.json'));
    try {
      for (const [device, seq] of ackedSeq) {
        const cfg = (await (
          await call(again.url, 'GET', `${M}/v1/deviceconfig/configurations/device/${device}`)
        ).json()) as { configured: { seq: string } };
        expect(Number(cfg.configured.seq)).toBeGreaterThanOrEqual(seq);
      }
      for (const id of ackedDeployments) {
        expect((await call(again.url, 'GET', `${M}/v1/deployments/deployments/${id}`)).status).toBe(200);
      }
    } finally {
      const exited = new Promise((r) => again.child.once('exit', r));
      again.child.kill('SIGTERM');
      await exited;
    }
  });

  test('state survives a clean restart in-process, including the simulated clock and progress', async () => {
    const data = join(dir, 'data');
    const opts = { dataDir: data, clock: 'manual' as const, tokens: [TOKEN], adminToken: ADMIN_TOKEN, spec };
    let s = await startServer(opts);
    const dev = '00000000-0000-4000-8000-000000000001';
    await call(s.url, 'PUT', `${M}/v1/inventory/devices/${dev}/group`, { group: 'canary' });
    const created = await call(s.url, 'POST', `${M}/v1/deployments/deployments`, {
      name: 'r',
      artifact_name: 'os-2',
      devices: [dev],
    });
    const depId = created.headers.get('location')!.split('/').pop()!;
    await call(s.url, 'POST', '/api/admin/v1/clock/advance', { seconds: 55 }); // poll at 30 s: downloading; 20 s later: installing
    await s.close();
    s = await startServer(opts);
    try {
      const stats = (await (
        await call(s.url, 'GET', `${M}/v1/deployments/deployments/${depId}/statistics`)
      ).json()) as Record<string, number>;
      expect(stats.installing).toBe(1);
      const groups = await (await call(s.url, 'GET', `${M}/v1/inventory/groups`)).json();
      expect(groups).toEqual(['canary']);
      await call(s.url, 'POST', '/api/admin/v1/clock/advance', { seconds: 100 });
      const inv = (await (await call(s.url, 'GET', `${M}/v1/inventory/devices/${dev}`)).json()) as {
        attributes: { name: string; value: string }[];
      };
      expect(inv.attributes.find((a) => a.name === 'artifact_name')?.value).toBe('os-2');
    } finally {
      await s.close();
    }
  });

  test('compaction: a journal rewritten as one snapshot serves exactly what the full journal serves, now and later', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `dddddddd-0000-4000-8000-00000000000${i + 1}`);
    const [a, b, c, off, d, e] = ids as [string, string, string, string, string, string];
    const small = {
      artifacts: [
        { name: 'os-2', device_types_compatible: ['rpi4'] },
        { name: 'os-3', device_types_compatible: ['rpi4'] },
      ],
      devices: ids.map((id) => ({ id, device_type: 'rpi4', artifact_name: 'os-1', online: id !== off })),
      timing: { poll_interval: 10, download: 10, install: 10, reboot: 10 },
    };
    const full = join(dir, 'full');
    const base = { clock: 'manual' as const, tokens: [TOKEN], adminToken: ADMIN_TOKEN };
    const s = await startServer({ ...base, dataDir: full, spec: small });
    const dep = (
      await call(s.url, 'POST', `${M}/v1/deployments/deployments`, {
        name: 'one',
        artifact_name: 'os-2',
        devices: [a, b, c, off],
      })
    ).headers.get('location')!;
    await call(s.url, 'POST', `${M}/v1/deployments/deployments`, { name: 'two', artifact_name: 'os-3', devices: [a] });
    await call(s.url, 'PUT', `${M}/v1/deviceconfig/configurations/device/${b}`, { flag: 'on' });
    const unknown = 'dddddddd-0000-4000-8000-0000000000ff';
    await call(s.url, 'PUT', `${M}/v1/deviceconfig/configurations/device/${unknown}`, { flag: 'kept' });
    await call(s.url, 'POST', `${M}/v1/deviceconfig/configurations/device/${b}/deploy`, {});
    await call(s.url, 'POST', '/api/admin/v1/clock/advance', { seconds: 15 });
    await call(s.url, 'DELETE', `${M}/v1/deployments/deployments/devices/${c}`);
    await call(s.url, 'PUT', `${M}/v1/inventory/devices/${d}/group`, { group: 'lab' });
    const authSet = (
      (await (await call(s.url, 'GET', `${M}/v2/devauth/devices/${e}`)).json()) as { auth_sets: { id: string }[] }
    ).auth_sets[0].id;
    await call(s.url, 'PUT', `${M}/v2/devauth/devices/${e}/auth/${authSet}/status`, { status: 'rejected' });
    await s.close();
    const compacted = join(dir, 'compacted');
    mkdirSync(compacted);
    copyFileSync(join(full, 'journal.jsonl'), join(compacted, 'journal.jsonl'));

    const view = async (url: string) => {
      const get = async (path: string) => (await call(url, 'GET', path)).json();
      const deployments = (await get(`${M}/v2/deployments/deployments?per_page=500`)) as { id: string }[];
      return {
        inventory: await get(`${M}/v1/inventory/devices?per_page=500`),
        devauth: await get(`${M}/v2/devauth/devices?per_page=500`),
        deployments,
        devices: await Promise.all(
          deployments.map((x) => get(`${M}/v1/deployments/deployments/${x.id}/devices/list?per_page=500`)),
        ),
        sim: await Promise.all(ids.map((id) => get(`/api/admin/v1/devices/${id}`))),
        config: await get(`${M}/v1/deviceconfig/configurations/device/${b}`),
        detachedConfig: await get(`${M}/v1/deviceconfig/configurations/device/${unknown}`),
      };
    };
    const servers = [
      await startServer({ ...base, dataDir: full }),
      await startServer({ ...base, dataDir: compacted, compactAfter: 0 }),
    ];
    try {
      expect(readFileSync(join(compacted, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
      const [before, after] = [await view(servers[0].url), await view(servers[1].url)];
      expect(after).toEqual(before);
      expect((after.devices[0] as { status: string }[]).length).toBeGreaterThan(0);
      expect(after.detachedConfig).toMatchObject({ id: unknown, configured: { flag: 'kept' } });
      for (const x of servers) {
        await call(x.url, 'PUT', `/api/admin/v1/devices/${off}`, { online: true });
        await call(x.url, 'POST', '/api/admin/v1/clock/advance', { seconds: 200 });
      }
      const [later, laterCompacted] = [await view(servers[0].url), await view(servers[1].url)];
      expect(laterCompacted).toEqual(later);
      const stats = (await (await call(servers[1].url, 'GET', `${dep}/statistics`)).json()) as Record<string, number>;
      expect(stats).toMatchObject({ success: 3, aborted: 1 });
    } finally {
      for (const x of servers) await x.close();
    }
  });

  test('a corrupt journal is a clear error naming file and line; a torn last line is dropped', async () => {
    const data = join(dir, 'data');
    const opts = { dataDir: data, clock: 'manual' as const, tokens: [TOKEN], spec };
    const s = await startServer(opts);
    for (const g of ['a', 'b', 'c'])
      await call(s.url, 'PUT', `${M}/v1/inventory/devices/00000000-0000-4000-8000-000000000001/group`, { group: g });
    await s.close();
    const file = join(data, 'journal.jsonl');

    // A write cut short by a crash: never acknowledged, dropped on start.
    appendFileSync(file, '0badc0de {"t":"group","id":"00000000-0000');
    const torn = await startServer(opts);
    const g = await (await call(torn.url, 'GET', `${M}/v1/inventory/groups`)).json();
    expect(g).toEqual(['c']);
    await torn.close();
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);

    // Damage in the middle is not silently skipped.
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2].replace('"group":"b"', '"group":"x"');
    writeFileSync(file, lines.join('\n'));
    const failure = await startServer(opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(FleetFailure);
    expect((failure as FleetFailure).error).toMatchObject({ code: 'server.state-corrupt', file, line: 3 });
    expect((failure as FleetFailure).message).toContain('checksum mismatch');

    // The CLI says the same and exits 1.
    const r = spawnSync(process.execPath, [cli, 'server', '--port', '0', '--data-dir', data, '--token', TOKEN], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:3: server state is corrupt: checksum mismatch`);
    expect(r.stderr).toContain('hint:');
  });

  test('an empty journal, or one without a complete first line, is refused and left alone; never a fresh fleet', async () => {
    const data = join(dir, 'data');
    const file = join(data, 'journal.jsonl');
    const opts = { dataDir: data, clock: 'manual' as const, tokens: [TOKEN], spec };
    mkdirSync(data);
    const refused = async (bytes: string, what: string) => {
      writeFileSync(file, bytes);
      const failure = await startServer(opts).then(
        (s) => s.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(FleetFailure);
      expect((failure as FleetFailure).error).toMatchObject({
        code: 'server.state-corrupt',
        file,
        hint: expect.stringContaining('delete this file'),
      });
      expect((failure as FleetFailure).message).toContain(what);
      expect(readFileSync(file, 'utf8')).toBe(bytes); // untouched: nothing seeded over it
    };
    await refused('', 'the journal is empty (0 bytes)');
    await refused('0badc0de {"t":"init","jwtSec', 'holds no complete event');

    writeFileSync(file, '');
    const cli0 = spawnSync(process.execPath, [cli, 'server', '--port', '0', '--data-dir', data, '--token', TOKEN], {
      encoding: 'utf8',
    });
    expect(cli0.status).toBe(1);
    expect(cli0.stderr).toContain(`${file}:1: server state is corrupt: the journal is empty (0 bytes)`);
    expect(cli0.stderr).toContain('hint: restore the data directory from a backup');

    // Following the hint: without the file, the spec seeds a new fleet.
    rmSync(file);
    const s = await startServer(opts);
    try {
      expect(
        ((await (await call(s.url, 'GET', `${M}/v1/inventory/devices?per_page=1`)).json()) as unknown[]).length,
      ).toBe(1);
    } finally {
      await s.close();
    }
  });

  test('a new journal appears only with its first event on disk: a creation cut short leaves no journal', async () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    // What a crash between writing the temp file and the rename leaves behind.
    writeFileSync(join(data, 'journal.jsonl.tmp'), '0badc0de {"t":"ini');
    const s = await startServer({ dataDir: data, clock: 'manual', tokens: [TOKEN], spec });
    await s.close();
    expect(readdirSync(data)).toEqual(['journal.jsonl']);
    const first = readFileSync(join(data, 'journal.jsonl'), 'utf8').split('\n')[0];
    expect(JSON.parse(first.slice(9))).toMatchObject({ t: 'init' });
  });

  test('secrets at rest: the data directory is created 0700, journal and snapshot files are 0600', async () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    // A permissive umask, so only the server's own modes can make the files private.
    const umask = process.umask(0);
    try {
      const data = join(dir, 'state', 'server');
      const opts = { dataDir: data, clock: 'manual' as const, tokens: [TOKEN], spec };
      let s = await startServer(opts);
      await call(s.url, 'PUT', `${M}/v1/deviceconfig/configurations/device/00000000-0000-4000-8000-000000000001`, {
        api_token: 'device-secret',
      });
      await s.close();
      expect([mode(join(dir, 'state')), mode(data), mode(join(data, 'journal.jsonl'))]).toEqual([0o700, 0o700, 0o600]);
      // Compaction rewrites the journal as a snapshot: still owner-only.
      s = await startServer({ ...opts, compactAfter: 0 });
      await s.close();
      expect(readFileSync(join(data, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
      expect(mode(join(data, 'journal.jsonl'))).toBe(0o600);
      // A journal left world-readable by an older version is tightened on start.
      chmodSync(join(data, 'journal.jsonl'), 0o644);
      s = await startServer(opts);
      await s.close();
      expect(mode(join(data, 'journal.jsonl'))).toBe(0o600);
    } finally {
      process.umask(umask);
    }
  });

  test('the CLI refuses to start without a data dir or credentials, and reports bad spec files with line and column', () => {
    const noDir = spawnSync(process.execPath, [cli, 'server', '--port', '0', '--token', TOKEN], { encoding: 'utf8' });
    expect(noDir.status).toBe(1);
    expect(noDir.stderr).toContain('--data-dir');
    const noCreds = spawnSync(process.execPath, [cli, 'server', '--memory'], {
      encoding: 'utf8',
      env: { ...process.env, FLEETPLAY_SERVER_TOKENS: '' },
    });
    expect(noCreds.status).toBe(1);
    expect(noCreds.stderr).toContain('--token');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'artifacts:\n  - name: os-2\n    device_types_compatible: rpi4\ndevices: []\n');
    const r = spawnSync(process.execPath, [cli, 'server', '--memory', '--port', '0', '--token', TOKEN, '--spec', bad], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:30: artifacts.0.device_types_compatible:`);
    expect(r.stderr).toContain('hint: write a value of type array');
  });
});
