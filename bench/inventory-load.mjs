#!/usr/bin/env node
// Loads a generated inventory of N hosts in 200 groups (4 stage groups with 196 site groups
// under them, group_vars for every group, host_vars for 1% of hosts, vars on 10% of entries)
// and times loadInventory, then hostVars for every host. Prints medians and peak RSS.
// Usage: npm run build && node bench/inventory-load.mjs [hosts=100000] [runs=5]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../dist/inventory/index.js';

const n = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const STAGES = ['production', 'canary', 'qualification', 'prototypes'];
const SITES = 196;
const deviceId = (i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function generate(dir) {
  mkdirSync(join(dir, 'group_vars'));
  mkdirSync(join(dir, 'host_vars'));
  const out = ['all:', '  children:'];
  for (const [s, stage] of STAGES.entries()) {
    out.push(`    ${stage}:`, '      children:');
    for (let site = s; site < SITES; site += STAGES.length) {
      out.push(`        site${site}:`, '          hosts:');
      for (let i = site; i < n; i += SITES) {
        out.push(
          i % 10 === 0
            ? `            ${deviceId(i)}:  # device ${i}\n              device_name: dev${i}`
            : `            ${deviceId(i)}:`,
        );
      }
    }
    writeFileSync(
      join(dir, 'group_vars', `${stage}.yml`),
      `subscribed_branch: ${stage === 'qualification' ? 'main' : stage}\n`,
    );
  }
  for (let site = 0; site < SITES; site++)
    writeFileSync(
      join(dir, 'group_vars', `site${site}.yml`),
      `site: ${site}\nkiosk_url: https://kiosk.example.org/site${site}\n`,
    );
  writeFileSync(
    join(dir, 'group_vars', 'all.yml'),
    'mender_server: http://127.0.0.1:8080\nos_image: {raspberrypi4: fleet-os-1.0.0-raspberrypi4}\n',
  );
  for (let i = 0; i < n; i += 100) writeFileSync(join(dir, 'host_vars', `${deviceId(i)}.yml`), `kiosk_enabled: true\n`);
  writeFileSync(join(dir, 'hosts.yml'), out.join('\n') + '\n');
}

const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-inv-'));
generate(dir);
const load = [];
const cpu = [];
const vars = [];
for (let r = 0; r < runs; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const res = loadInventory([join(dir, 'hosts.yml')]);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  if (!res.ok)
    throw new Error(
      res.error
        .slice(0, 3)
        .map((e) => e.message)
        .join('\n'),
    );
  const inv = res.value;
  let keys = 0;
  for (const h of inv.hosts) keys += Object.keys(inv.hostVars(h)).length;
  const t2 = performance.now();
  if (inv.hosts.length !== n || inv.groups.size !== 202)
    throw new Error(`expected ${n} hosts / 202 groups, got ${inv.hosts.length} / ${inv.groups.size}`);
  load.push(t1 - t0);
  cpu.push((c1.user + c1.system) / 1000);
  vars.push(t2 - t1);
  if (r === 0) console.log(`${n} hosts, ${inv.groups.size - 2} groups (+all, ungrouped), ${keys} host var entries`);
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => xs.map((x) => (x / 1000).toFixed(2)).join(' ');
console.log(
  `loadInventory: median ${(median(load) / 1000).toFixed(2)} s wall, ${(median(cpu) / 1000).toFixed(2)} s CPU (wall runs: ${fmt(load)})`,
);
console.log(`hostVars for every host: median ${(median(vars) / 1000).toFixed(2)} s (runs: ${fmt(vars)})`);
console.log(
  `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
);
