#!/usr/bin/env node
// The embedded server under large uploads (run by hand, after `npm run build`):
//   node bench/server-upload.mjs [--runs 3] [--concurrency 30] [--mb 15]
// For each case a fresh `fleetplay server --memory` child process; its RSS is read from /proc
// before, at peak (VmHWM, the kernel's high-water mark, so no sample is missed) and 3 s after
// the last answer (settled). Cases, each `--concurrency` POSTs at once to the deployments route:
//   unauthenticated  --mb MB bodies without credentials (should be 401 without reading them)
//   oversized        authenticated bodies over the per-request limit (20 MiB; should be 413)
//   in-limit         authenticated --mb MB bodies under the limit (bounded by the in-flight budget)
// Prints per case the medians over --runs and the statuses the clients saw.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { spawnServer, TOKEN } from './server-process.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 3);
const CONCURRENCY = arg('concurrency', 30);
const MB = arg('mb', 15);
const PATH = '/api/management/v1/deployments/deployments';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const statusKb = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const mib = (kb) => Math.round(kb / 1024);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Without the admin API, and so also on versions before --admin-token (the "before" figures).
const startServer = () => spawnServer(['--memory', '--log-level', 'warn'], { admin: false });

/** One POST on its own connection; resolves with the status, or the socket error's code. */
function post(url, body, token) {
  return new Promise((resolve) => {
    const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = http.request(
      { host: url.hostname, port: url.port, method: 'POST', path: PATH, headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', (e) => resolve(e.code ?? 'error'));
      },
    );
    req.on('error', (e) => resolve(e.code ?? 'error'));
    req.end(body);
  });
}

async function runCase(body, token) {
  const { child, url: text } = await startServer();
  const url = new URL(text);
  await sleep(500);
  const before = statusKb(child.pid, 'VmRSS');
  const t0 = performance.now();
  const outcomes = await Promise.all(Array.from({ length: CONCURRENCY }, () => post(url, body, token)));
  const seconds = (performance.now() - t0) / 1000;
  const peak = statusKb(child.pid, 'VmHWM');
  await sleep(3000);
  const settled = statusKb(child.pid, 'VmRSS');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const counts = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return { before, peak, settled, seconds, counts };
}

const cases = [
  ['unauthenticated', Buffer.alloc(MB * 1_000_000, 'x'), undefined],
  ['oversized', Buffer.alloc(20 << 20, 'x'), TOKEN],
  ['in-limit', Buffer.alloc(MB * 1_000_000, 'x'), TOKEN],
];
console.log(`${CONCURRENCY} concurrent POSTs per case, ${RUNS} runs, medians (MiB of server RSS)`);
for (const [name, body, token] of cases) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runCase(body, token));
  const m = (f) => median(runs.map(f));
  const statuses = runs.map((r) => JSON.stringify(r.counts)).join(' ');
  console.log(
    `${name.padEnd(16)} ${(body.length / 1e6).toFixed(1)} MB each: before ${mib(m((r) => r.before))}  peak ${mib(
      m((r) => r.peak),
    )}  settled ${mib(m((r) => r.settled))}  ${m((r) => r.seconds).toFixed(2)} s  answers ${statuses}`,
  );
}
