#!/usr/bin/env node
// Benchmark of the embedded server (run by hand, after `npm run build`):
//   node bench/server.mjs [--devices 100000] [--seconds 5] [--concurrency 16] [--runs 3]
// Starts `fleetplay server --memory --devices N` as a child process, then measures with keep-alive
// connections: GET /inventory/devices/{id} req/s, v2 search req/s (three query shapes), and the
// server's RSS idle with N devices and after one deployment to all of them. Prints medians.
// The client shares the 2 cores with the server, so it also prints the server's own CPU time per
// request (from /proc) and what that makes per fully used core: the figure least bent by a busy machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { ADMIN_TOKEN, spawnServer, TOKEN } from './server-process.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DEVICES = arg('devices', 100_000);
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 16);
const RUNS = arg('runs', 3);

const idOf = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
};
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function startServer(extra = ['--memory']) {
  const spec = join(mkdtempSync(join(tmpdir(), 'fleetplay-bench-')), 'spec.json');
  writeFileSync(
    spec,
    JSON.stringify({ artifacts: [{ name: 'fleet-os-1.1.0', device_types_compatible: ['raspberrypi4'] }] }),
  );
  const args = [...extra, '--spec', spec, '--devices', String(DEVICES), '--clock', 'manual', '--log-level', 'warn'];
  return spawnServer(args).then(({ child, url }) => ({ child, url: new URL(url) }));
}

function request(agent, url, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          Authorization: `Bearer ${path.startsWith('/api/admin/') ? ADMIN_TOKEN : TOKEN}`,
          ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Requests per second with CONCURRENCY keep-alive connections for SECONDS. */
async function rate(url, pid, make) {
  const cpu0 = cpuSeconds(pid);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const [method, path, body] = make(done);
      await request(agent, url, method, path, body);
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return { rps: done / ((Date.now() - started) / 1000), perCore: done / (cpuSeconds(pid) - cpu0) };
}

const S = '/api/management/v2/inventory/filters/search';
let seed = 7;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return (seed % n) + 1;
};
const cases = {
  'GET /inventory/devices/{id}': () => ['GET', `/api/management/v1/inventory/devices/${idOf(rand(DEVICES))}`],
  'v2 search: 100 device_ids, 2 attributes': () => [
    'POST',
    S,
    {
      device_ids: Array.from({ length: 100 }, () => idOf(rand(DEVICES))),
      attributes: [
        { scope: 'inventory', attribute: 'artifact_name' },
        { scope: 'system', attribute: 'check_in_time' },
      ],
      per_page: 100,
    },
  ],
  'v2 search: device_type $eq (all devices match), page of 100': (i) => [
    'POST',
    S,
    {
      filters: [{ scope: 'inventory', attribute: 'device_type', type: '$eq', value: 'raspberrypi4' }],
      per_page: 100,
      page: 1 + (i % 50),
    },
  ],
  'v2 search: artifact_name $ne (full scan), page of 20': () => [
    'POST',
    S,
    { filters: [{ scope: 'inventory', attribute: 'artifact_name', type: '$ne', value: 'other' }], per_page: 20 },
  ],
};

/** A hello-world node:http server measured the same way: the machine's baseline right now. */
async function baseline() {
  const code =
    "require('http').createServer((q,s)=>{s.writeHead(200,{'Content-Type':'application/json'});s.end('{}')}).listen(0,'127.0.0.1',function(){console.log('http://127.0.0.1:'+this.address().port)})";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => child.stdout.once('data', (c) => resolve(new URL(String(c).trim()))));
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await rate(url, child.pid, () => ['GET', '/']));
  child.kill('SIGTERM');
  return { rps: median(runs.map((x) => x.rps)), perCore: median(runs.map((x) => x.perCore)) };
}

const base = await baseline();
console.log(
  `baseline hello-world node:http: ${Math.round(base.rps)} req/s measured; ${(1e6 / base.perCore).toFixed(0)} µs/request = ${Math.round(base.perCore)} req/s per core`,
);
const t0 = Date.now();
const { child, url } = await startServer();
console.log(
  `server with ${DEVICES} devices up in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${CONCURRENCY} keep-alive connections, ${SECONDS} s per run, ${RUNS} runs (median)`,
);
const rssIdle = rssMiB(child.pid);
for (const [name, make] of Object.entries(cases)) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await rate(url, child.pid, make));
  const rps = runs.map((x) => x.rps);
  const perCore = runs.map((x) => x.perCore);
  console.log(
    `${name}: ${Math.round(median(rps))} req/s measured (runs: ${rps.map(Math.round).join(', ')}); ` +
      `server CPU ${(1e6 / median(perCore)).toFixed(0)} µs/request = ${Math.round(median(perCore))} req/s per core, ` +
      `${(base.perCore / median(perCore)).toFixed(2)}× the cost of hello-world`,
  );
}
const agent = new http.Agent({ keepAlive: true });
await request(agent, url, 'POST', '/api/management/v1/deployments/deployments', {
  name: 'bench',
  artifact_name: 'fleet-os-1.1.0',
  all_devices: true,
});
await request(agent, url, 'POST', '/api/admin/v1/clock/advance', { seconds: 3600 });
agent.destroy();
console.log(
  `RSS: ${rssIdle.toFixed(0)} MiB with ${DEVICES} devices; ${rssMiB(child.pid).toFixed(0)} MiB after the load and one deployment to all of them`,
);
child.kill('SIGTERM');

// Durable writes: the same server on a data dir, PUT device configuration (each 204 waits for fdatasync).
const durable = await startServer(['--data-dir', mkdtempSync(join(tmpdir(), 'fleetplay-bench-data-'))]);
const writes = [];
for (let r = 0; r < RUNS; r++)
  writes.push(
    await rate(durable.url, durable.child.pid, (i) => [
      'PUT',
      `/api/management/v1/deviceconfig/configurations/device/${idOf(rand(DEVICES))}`,
      { run: String(i) },
    ]),
  );
console.log(
  `durable PUT deviceconfig (journal + group commit): ${Math.round(median(writes.map((x) => x.rps)))} req/s measured (runs: ${writes.map((x) => Math.round(x.rps)).join(', ')})`,
);
durable.child.kill('SIGTERM');
