#!/usr/bin/env node
// `fleetplay run --mode run` of the sample fleet (7 devices) against a hostile or broken OTA server
// (test/ota/hostile-server.ts in front of the embedded server; it misbehaves on the inventory
// search): per case the exit code, wall time, peak RSS (GNU time's maximum resident set size),
// requests to the hostile endpoint, writes that reached the server and the error's first line.
// Usage: npm run build && node bench/hostile.mjs [cases=all] [timeout_ms=2000]
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { startServer } from '../dist/server/index.js';
import { loadInventory } from '../dist/inventory/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
const TOKEN = 'bench-token-0123456789';
const timeoutMs = Number(process.argv[3] ?? 2000);

// The hostile server is test code (TypeScript, node built-ins only): transpiled for this script.
const work = mkdtempSync(join(tmpdir(), 'fleetplay-hostile-'));
const hostileJs = join(work, 'hostile-server.mjs');
const source = readFileSync(join(root, 'test/ota/hostile-server.ts'), 'utf8');
writeFileSync(
  hostileJs,
  ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
    .outputText,
);
const { hostileServer, HOSTILE_MODES } = await import(pathToFileURL(hostileJs).href);
const cases = process.argv[2] && process.argv[2] !== 'all' ? process.argv[2].split(',') : ['healthy', ...HOSTILE_MODES];

// The sample fleet's devices on the embedded server, every one needing an update (so a healthy run writes).
const inv = loadInventory([join(root, 'inventory')]);
if (!inv.ok) throw new Error(inv.error.map((e) => e.message).join('\n'));
const devices = inv.value.hosts.map((h) => {
  const t = String(inv.value.hostVars(h).device_type);
  return { id: inv.value.deviceId(h), device_type: t, artifact_name: `fleet-os-0.9.0-${t}` };
});
const types = [...new Set(devices.map((d) => d.device_type))];
const artifacts = types.map((t) => ({ name: `fleet-os-1.0.0-${t}`, device_types_compatible: [t] }));

const repo = join(work, 'fleet');
cpSync(join(root, 'inventory'), join(repo, 'inventory'), { recursive: true });
cpSync(join(root, 'playbooks'), join(repo, 'playbooks'), { recursive: true });
const git = (...a) =>
  execFileSync('git', a, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@x',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@x',
    },
  });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-qm', 'fleet');

function run(url) {
  const api = { timeout_ms: timeoutMs, max_retries: 1, base_delay_ms: 5, max_delay_ms: 20 };
  const args = ['-v', process.execPath, cli, 'run', '--mode', 'run', '-e', `mender_server=${url}`];
  args.push('-e', JSON.stringify({ mender_api: api }));
  const env = {
    PATH: process.env.PATH,
    MENDER_ACCESS_TOKEN: TOKEN,
    GHRUNNER_TOKEN: 'ghr-bench',
    INFLUXDB_TOKEN: 'influx-bench',
    LC_ALL: 'C',
  };
  return new Promise((done) => {
    const child = spawn('/usr/bin/time', args, { cwd: repo, env });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => done({ code, out }));
  });
}

const rows = [];
for (const mode of cases) {
  const srv = await startServer({ memory: true, clock: 'manual', tokens: [TOKEN], spec: { artifacts, devices } });
  const target = mode === 'healthy' ? { method: 'NONE', path: '' } : undefined;
  const bad = await hostileServer(srv.url, mode === 'healthy' ? 'null' : mode, target);
  const { code, out } = await run(bad.url);
  const seconds = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+(?:\.\d+)?)$/m.exec(out);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(out)?.[1] ?? NaN);
  // The error's code and what the server did (the message after the endpoint and server URL).
  const line = out.split('\n').find((l) => /OTA server http/.test(l)) ?? '';
  const what = /"error_code": "([^"]+)", "msg": "[^"]*?\(from [^)]*\) ([^"]*)/.exec(line);
  const error = what ? `${what[1]}: ${what[2].split('\\n')[0]}` : '';
  rows.push({
    mode,
    code,
    s: seconds ? (Number(seconds[1] ?? 0) * 60 + Number(seconds[2])).toFixed(2) : '?',
    rssMb: (rssKb / 1024).toFixed(0),
    hostile: bad.hostile,
    writes: bad.writes.length,
    error: error.trim().slice(0, 220),
  });
  await bad.close();
  await srv.close();
}
rmSync(work, { recursive: true, force: true });

console.log(
  `# node bench/hostile.mjs (timeout_ms ${timeoutMs}, max_retries 1), ${new Date().toISOString().slice(0, 10)}`,
);
console.log('| case | exit | wall s | peak RSS MB | hostile requests | writes | message |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.mode} | ${r.code} | ${r.s} | ${r.rssMb} | ${r.hostile} | ${r.writes} | ${r.error.replace(/\|/g, '\\|')} |`,
  );
