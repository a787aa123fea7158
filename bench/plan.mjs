#!/usr/bin/env node
// The plan of a fleet where every device changes (new OS image and configuration): the dry run of
// the default playbook in-process against the embedded server, then the plan built from what it
// recorded and rendered as text, markdown and JSON. Prints the dry run's time and the rendering's
// (the latter is what `fleetplay plan` and the summary after PLAY RECAP add to a run).
// Usage: npm run build && node bench/plan.mjs [devices=10000]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runPlaybook } from '../dist/engine/index.js';
import { renderJson, renderMarkdown, renderText } from '../dist/plan/index.js';
import { startServer } from '../dist/server/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] ?? 10000);
const TOKEN = 'bench-token-0123456789';
const id = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

const srv = await startServer({
  memory: true,
  port: 0,
  clock: 'manual',
  tokens: [TOKEN],
  spec: {
    artifacts: ['1.0.0', '1.1.0'].map((v) => ({ name: `fleet-os-${v}`, device_types_compatible: ['raspberrypi4'] })),
    generate: { count: n, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
  },
});
// Readable host names with their device ids, as a real inventory has them.
const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-plan-'));
mkdirSync(join(dir, 'group_vars'));
const hosts = Array.from({ length: n }, (_, i) => `        kiosk-${i + 1}: {mender_device_id: ${id(i + 1)}}`);
writeFileSync(
  join(dir, 'hosts.yml'),
  ['all:', '  children:', '    production:', '      hosts:', ...hosts, ''].join('\n'),
);
writeFileSync(
  join(dir, 'group_vars/all.yml'),
  'subscribed_branch: production\nos_image: {raspberrypi4: fleet-os-1.1.0}\nkiosk_enabled: true\nkiosk_url: https://kiosk.example.org/{{ inventory_hostname }}\n',
);
try {
  let t0 = performance.now();
  const r = await runPlaybook({
    playbook: join(root, 'playbooks/manage-fleet.yml'),
    inventory: [dir],
    mode: 'dry-run',
    extraVars: { mender_server: srv.url, fleetplay_branch: 'production' },
    env: { ...process.env, MENDER_ACCESS_TOKEN: TOKEN, ANSIBLE_DISPLAY_OK_HOSTS: 'false' },
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  const dryRun = (performance.now() - t0) / 1000;
  t0 = performance.now();
  // The run built the typed plan (report.plan); what is left is rendering it.
  const plan = { schema: 'fleetplay.plan/1', devices: r.report.plan };
  const sizes = [renderText(plan, { color: false }), renderMarkdown(plan), renderJson(plan)].map((s) => s.length);
  const render = (performance.now() - t0) / 1000;
  const changing = plan.devices.filter((d) => d.os.action === 'deploy' && d.config.action === 'set').length;
  console.log(
    `devices=${n} changing=${changing} exit=${r.exitCode} dryRun=${dryRun.toFixed(2)}s ` +
      `render(text,markdown,json)=${render.toFixed(3)}s bytes(text,markdown,json)=${sizes.join(',')}`,
  );
} finally {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
}
