#!/usr/bin/env node
// Facts gathering against the embedded server: wall time, requests per device, peak RSS.
// Usage: npm run build && node bench/mender-facts.mjs [devices=10000] [config=0|1] [runs=3]
import { startServer } from '../dist/server/index.js';
import { MenderClient } from '../dist/ota/client.js';
import { gatherFacts } from '../dist/modules/mender/gather.js';
import { generatedDeviceId } from '../dist/server/spec.js';

const n = Number(process.argv[2] ?? 10_000);
const config = process.argv[3] === '1';
const runs = Number(process.argv[4] ?? 3);
const token = 'bench-token-0123456789';
const srv = await startServer({ memory: true, clock: 'manual', tokens: [token], devices: n, spec: { artifacts: [] } });
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const ids = Array.from({ length: n }, (_, i) => generatedDeviceId(i + 1));
const times = [];
let perDevice = 0;
for (let r = 0; r < runs; r++) {
  const c = new MenderClient({ url: srv.url, auth: { kind: 'token', token } });
  const t0 = performance.now();
  const g = await gatherFacts(c, ids, { config });
  times.push(performance.now() - t0);
  if (!g.ok) throw new Error(g.error.message);
  if (g.value.facts.size !== n)
    console.error(`only ${g.value.facts.size} of ${n} devices found (${g.value.unknown.slice(0, 3).join(', ')}...)`);
  perDevice = c.stats.snapshot().requests / n;
  c.close();
}
clearInterval(sample);
times.sort((a, b) => a - b);
console.log(
  `devices=${n} config=${config} runs=${runs} median=${(times[Math.floor(runs / 2)] / 1000).toFixed(2)}s requests/device=${perDevice.toFixed(4)} peakRSS=${(peak / 2 ** 20).toFixed(0)}MB (server and client in one process)`,
);
await srv.close();
