#!/usr/bin/env node
// Benchmark: the OTA client's HTTP exchange alone (src/ota/http.ts), one request a device in the
// main job. N GETs of a device configuration, 8 in flight, against a node:http server in the same
// process; prints CPU µs a request (client and server together) and wall time. Run by hand:
//   npm run build && node bench/http-client.mjs [requests=20000] [dist=./dist]
// Pass another build's dist/ to compare two versions in the same run (interleave a few rounds).
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const n = Number(process.argv[2] ?? 20000);
const dist = resolve(process.argv[3] ?? new URL('../dist', import.meta.url).pathname);
const { HttpClient } = await import(pathToFileURL(`${dist}/ota/http.js`).href);

const body = JSON.stringify({
  configured: { kiosk_enabled: true, kiosk_url: 'https://kiosk.example.org/1' },
  reported: {},
});
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const client = new HttpClient(`http://127.0.0.1:${server.address().port}`, 8, {});

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let sent = 0;
const worker = async () => {
  while (sent++ < n)
    await client.send({ method: 'GET', path: '/config', headers: { accept: 'application/json' }, timeoutMs: 30_000 });
};
await Promise.all(Array.from({ length: 8 }, worker));
const cpu = process.cpuUsage(cpu0);
console.log(
  `${dist} requests=${n} cpu=${((cpu.user + cpu.system) / n).toFixed(1)}µs/request wall=${(performance.now() - t0).toFixed(0)}ms`,
);
client.close();
server.close();
