/**
 * Durability: the server process is SIGKILLed during a stream of writes and started again on
 * the same data directory; every write acknowledged with 2xx must still be there. Damaged state
 * files are clear errors, a torn last line (a write cut by the crash) is dropped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/server/index.js';
import { FleetFailure } from '../../src/errors/index.js';
import { TOKEN } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'dist/cli/main.js');
const M = '/api/management';

/** dist/ is what the `fleetplay` bin runs; rebuild it when a source file is newer. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
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
  const child = spawn(process.execPath, [cli, 'server', '--port', '0', '--data-dir', dataDir, '--spec', specFile, '--token', TOKEN, '--clock', 'manual'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((res, rej) => {
    let out = '';
    let errText = '';
    child.stderr!.on('data', (c) => (errText += String(c)));
    child.stdout!.on('data', (c) => {
      out += String(c);
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) res({ child, url: line.trim() });
    });
    child.once('exit', (code) => rej(new Error(`server exited ${code}: ${errText}`)));
  });
}

const call = (url: string, method: string, path: string, body?: unknown) =>
  fetch(url + path, { method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

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
    const devices = ((await (await call(url, 'GET', `${M}/v1/inventory/devices?per_page=20`)).json()) as { id: string }[]).map((d) => d.id);
    const ackedSeq = new Map<string, number>();
    const ackedDeployments: string[] = [];
    let stop = false;
    // Eight writers: six update one device's configuration with a rising counter, two create deployments.
    const writer = async (w: number) => {
      for (let seq = 1; !stop; seq++) {
        try {
          if (w < 6) {
            const res = await call(url, 'PUT', `${M}/v1/deviceconfig/configurations/device/${devices[w]}`, { seq: String(seq) });
            if (res.status === 204) ackedSeq.set(devices[w]!, seq);
          } else {
            const res = await call(url, 'POST', `${M}/v1/deployments/deployments`, { name: `w${w}-${seq}`, artifact_name: 'os-2', devices: [devices[10 + w]] });
            if (res.status === 201) ackedDeployments.push(res.headers.get('location')!.split('/').pop()!);
          }
        } catch {
          return; // connection gone: the server was killed
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited;
    expect(ackedSeq.size).toBe(6);
    // A stream, not a handful: the kill lands between many acknowledged writes.
    expect([...ackedSeq.values()].reduce((a, b) => a + b, 0) + ackedDeployments.length).toBeGreaterThan(30);
    expect(ackedDeployments.length).toBeGreaterThan(0);

    const again = await spawnServer(data, join(dir, 'spec.json'));
    try {
      for (const [device, seq] of ackedSeq) {
        const cfg = (await (await call(again.url, 'GET', `${M}/v1/deviceconfig/configurations/device/${device}`)).json()) as { configured: { seq: string } };
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
    const opts = { dataDir: data, clock: 'manual' as const, tokens: [TOKEN], spec };
    let s = await startServer(opts);
    const dev = '00000000-0000-4000-8000-000000000001';
    await call(s.url, 'PUT', `${M}/v1/inventory/devices/${dev}/group`, { group: 'canary' });
    const created = await call(s.url, 'POST', `${M}/v1/deployments/deployments`, { name: 'r', artifact_name: 'os-2', devices: [dev] });
    const depId = created.headers.get('location')!.split('/').pop()!;
    await call(s.url, 'POST', '/api/admin/v1/clock/advance', { seconds: 55 }); // poll at 30 s: downloading; 20 s later: installing
    await s.close();
    s = await startServer(opts);
    try {
      const stats = (await (await call(s.url, 'GET', `${M}/v1/deployments/deployments/${depId}/statistics`)).json()) as Record<string, number>;
      expect(stats.installing).toBe(1);
      const groups = await (await call(s.url, 'GET', `${M}/v1/inventory/groups`)).json();
      expect(groups).toEqual(['canary']);
      await call(s.url, 'POST', '/api/admin/v1/clock/advance', { seconds: 100 });
      const inv = (await (await call(s.url, 'GET', `${M}/v1/inventory/devices/${dev}`)).json()) as { attributes: { name: string; value: string }[] };
      expect(inv.attributes.find((a) => a.name === 'artifact_name')?.value).toBe('os-2');
    } finally {
      await s.close();
    }
  });

  test('a corrupt journal is a clear error naming file and line; a torn last line is dropped', async () => {
    const data = join(dir, 'data');
    const opts = { dataDir: data, clock: 'manual' as const, tokens: [TOKEN], spec };
    const s = await startServer(opts);
    for (const g of ['a', 'b', 'c']) await call(s.url, 'PUT', `${M}/v1/inventory/devices/00000000-0000-4000-8000-000000000001/group`, { group: g });
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
    lines[2] = lines[2]!.replace('"group":"b"', '"group":"x"');
    writeFileSync(file, lines.join('\n'));
    const failure = await startServer(opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(FleetFailure);
    expect((failure as FleetFailure).error).toMatchObject({ code: 'server.state-corrupt', file, line: 3 });
    expect((failure as FleetFailure).message).toContain('checksum mismatch');

    // The CLI says the same and exits 1.
    const r = spawnSync(process.execPath, [cli, 'server', '--port', '0', '--data-dir', data, '--token', TOKEN], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:3: server state is corrupt: checksum mismatch`);
    expect(r.stderr).toContain('hint:');
  });

  test('the CLI refuses to start without a data dir or credentials, and reports bad spec files with line and column', () => {
    const noDir = spawnSync(process.execPath, [cli, 'server', '--port', '0', '--token', TOKEN], { encoding: 'utf8' });
    expect(noDir.status).toBe(1);
    expect(noDir.stderr).toContain('--data-dir');
    const noCreds = spawnSync(process.execPath, [cli, 'server', '--memory'], { encoding: 'utf8', env: { ...process.env, FLEETPLAY_SERVER_TOKENS: '' } });
    expect(noCreds.status).toBe(1);
    expect(noCreds.stderr).toContain('--token');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'artifacts:\n  - name: os-2\n    device_types_compatible: rpi4\ndevices: []\n');
    const r = spawnSync(process.execPath, [cli, 'server', '--memory', '--port', '0', '--token', TOKEN, '--spec', bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:30: artifacts.0.device_types_compatible:`);
    expect(r.stderr).toContain('hint: write a value of type array');
  });
});
