#!/usr/bin/env node
// Benchmark: 10 tasks (set_fact, debug, when, loop) × N hosts, run by hand:
//   npm run build && node bench/engine-10tasks.mjs [hosts=100000] [--ansible]
// Prints wall time, peak RSS and output size. With --ansible it runs the same playbook with
// ansible-playbook instead (local connection, gather_facts off; use ~200 hosts) for the ratio.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const ansible = args.includes('--ansible');
const hosts = Number(args.find((a) => /^\d+$/.test(a)) ?? (ansible ? 200 : 100000));
const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-'));

const id = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const lines = [
  'all:',
  '  vars:',
  '    ansible_connection: local',
  '    ansible_python_interpreter: /usr/bin/python3',
  '  children:',
];
for (let g = 0; g < 10; g++) {
  lines.push(`    g${g}:`, '      vars:', `        ring: ${g}`, '      hosts:');
  for (let i = g; i < hosts; i += 10) lines.push(`        ${id(i)}: {idx: ${i}}`);
}
writeFileSync(join(dir, 'inventory.yml'), lines.join('\n') + '\n');
writeFileSync(
  join(dir, 'bench.yml'),
  `- hosts: all
  gather_facts: false
  tasks:
    - set_fact:
        doubled: "{{ idx * 2 }}"
    - debug:
        msg: "device {{ inventory_hostname }} doubled={{ doubled }}"
    - set_fact:
        even: true
      when: idx % 2 == 0
    - debug:
        var: even
      when: even is defined
    - debug:
        msg: "{{ item }}"
      loop: [a, b]
    - set_fact:
        total: "{{ (total | default(0) | int) + item }}"
      loop: [1, 2, 3]
    - debug:
        msg: never
      when: ring > 100
    - set_fact:
        label: "ring-{{ ring }}-{{ group_names | first }}"
    - debug:
        msg: "{{ label }}"
    - debug:
        var: total
`,
);

const out = join(dir, 'out.txt');
let seconds;
let rssMb;
const t0 = process.hrtime.bigint();
if (ansible) {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', 'ansible-playbook', '-i', 'inventory.yml', 'bench.yml', '-f', '20'],
    {
      cwd: dir,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 30,
    },
  );
  seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  writeFileSync(out, r.stdout);
  rssMb = Number(String(r.stderr).trim().split('\n').pop()) / 1024;
  console.log(`ansible-playbook rc=${r.status}`);
} else {
  const { runPlaybook } = await import('../dist/engine/run.js');
  const stream = createWriteStream(out);
  const r = await runPlaybook({
    playbook: join(dir, 'bench.yml'),
    inventory: [join(dir, 'inventory.yml')],
    mode: 'run',
    stdout: stream,
  });
  await new Promise((res) => stream.end(res));
  seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `fleetplay exit=${r.exitCode} hosts in recap=${Object.keys(r.recap).length} timings=${JSON.stringify(r.report.timings)}`,
  );
}
const size = statSync(out).size;
console.log(
  JSON.stringify({
    tool: ansible ? 'ansible-playbook 2.14.18 (-f 20)' : 'fleetplay',
    hosts,
    tasks: 10,
    seconds: Number(seconds.toFixed(2)),
    perHostMs: Number(((seconds * 1000) / hosts).toFixed(3)),
    peakRssMb: Math.round(rssMb),
    outputMb: Number((size / 1e6).toFixed(1)),
    dir,
  }),
);
