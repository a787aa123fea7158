#!/usr/bin/env node
// Renders a 20-line JSON device-config template for N hosts (default 100k), compiled once.
// Each host gets its own lazyVars view (group vars + host vars), as the engine builds it.
// Run by hand after `npm install` (which builds dist/):  node bench/template-render.mjs [hosts] [runs]
import { lazyVars, Templar } from '../dist/template/index.js';

const HOSTS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);

const TEMPLATE = `{
  "device": "{{ inventory_hostname }}",
  "os_image": {{ os_image | default('fleet-os-1.0') | to_json }},
  "subscribed_branch": "{{ subscribed_branch }}",
{% if kiosk_enabled | default(false) %}
  "kiosk": { "enabled": true, "url": {{ kiosk_url | to_json }} },
{% endif %}
{% if gharunner_enabled | default(false) %}
  "gharunner": { "repo": "{{ gharunner_repo }}", "labels": {{ gharunner_labels | to_json }},
                 "token": "{{ lookup('env', 'GHA_RUNNER_TOKEN') }}" },
{% endif %}
{% if monitoring_enabled | default(false) %}
  "monitoring": { "server": "{{ influx_url }}", "bucket": "{{ influx_bucket | default('fleet') }}",
                  "org": "{{ influx_org }}", "token": "{{ lookup('env', 'INFLUX_TOKEN') }}" },
{% endif %}
  "features": {{ features | default({}) | to_json(sort_keys=true) }},
  "log_level": "{{ log_level | default('info') | lower }}",
  "generation": {{ generation | int }}
}
`;

const group = {
  subscribed_branch: 'production',
  monitoring_enabled: true,
  influx_url: 'https://influx.example.com',
  influx_org: 'fleet',
  kiosk_url: 'https://kiosk.example.com/{{ inventory_hostname }}',
  gharunner_repo: 'acme/fleet',
  gharunner_labels: ['self-hosted', 'arm64'],
  features: { wifi6: false, ssh: true },
  generation: '{{ 40 + 2 }}',
};
const env = { GHA_RUNNER_TOKEN: 'ghs_example', INFLUX_TOKEN: 'influx-example' };

function once(templar) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < HOSTS; i++) {
    const host = {
      inventory_hostname: `dev-${i}`,
      kiosk_enabled: i % 3 === 0,
      gharunner_enabled: i % 7 === 0,
      log_level: i % 2 ? 'DEBUG' : 'Info',
    };
    const out = templar.template(TEMPLATE, lazyVars([group, host], templar, { host: host.inventory_hostname }));
    if (typeof out !== 'object') throw new Error(`dev-${i}: expected the JSON to come back as a dict`);
  }
  const cpu = process.cpuUsage(c0);
  return [Number(process.hrtime.bigint() - t0) / 1e9, (cpu.user + cpu.system) / 1e6];
}

const templar = new Templar({ env });
const sample = templar.template(
  TEMPLATE,
  lazyVars([group, { inventory_hostname: 'dev-0', kiosk_enabled: true, gharunner_enabled: true }], templar),
);
console.log('sample output:', JSON.stringify(sample));
// The machine is shared: wall time includes waiting for a core, CPU time is what rendering costs.
const times = [];
const cpus = [];
for (let r = 0; r < RUNS; r++) {
  const [s, cpu] = once(templar);
  times.push(s);
  cpus.push(cpu);
  console.log(`run ${r + 1}: ${s.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU for ${HOSTS} hosts`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = median(times);
console.log(
  `median ${m.toFixed(2)} s wall (${((m / HOSTS) * 1e6).toFixed(1)} µs/host), median ${median(cpus).toFixed(2)} s CPU, for ${HOSTS} hosts; wall runs: ${times.map((t) => t.toFixed(2)).join(', ')}`,
);

// Distinct templates (a templated value unique to each host) pay for compilation every time.
const distinct = 2000;
const fresh = new Templar({ env });
const c0 = process.hrtime.bigint();
for (let i = 0; i < distinct; i++)
  fresh.template(`https://{{ inventory_hostname }}:${8000 + i}/{{ path | default('x') }}`, { inventory_hostname: 'h' });
const per = Number(process.hrtime.bigint() - c0) / 1e3 / distinct;
console.log(`compile + render of a distinct one-line template: ${per.toFixed(0)} µs each (${distinct} templates)`);
