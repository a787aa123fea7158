// (helper, not a bench) The embedded server as a child process for the benches: `fleetplay
// server --port 0` with the bench tokens, and calls to its admin API with the admin token.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOKEN = 'bench-token-0123456789';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

/**
 * Starts `fleetplay server --port 0 --token TOKEN [--admin-token ADMIN_TOKEN] ...args`; resolves
 * with the child and its URL once it prints it (stdout carries only the URL).
 * `admin: false` leaves the admin API off (and runs on versions without --admin-token).
 */
export function spawnServer(args, { admin = true, stderr = 'inherit' } = {}) {
  const tokens = ['--token', TOKEN, ...(admin ? ['--admin-token', ADMIN_TOKEN] : [])];
  const child = spawn(process.execPath, [cli, 'server', '--port', '0', ...tokens, ...args], {
    stdio: ['ignore', 'pipe', stderr],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve({ child, url: out.split('\n')[0].trim() });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** A call to the admin API (`path` below /api/admin/v1/); throws unless 2xx; the JSON answer or undefined. */
export async function adminCall(url, method, path, body) {
  const r = await fetch(`${url}/api/admin/v1/${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`admin ${method} ${path}: HTTP ${r.status}`);
  return r.status === 204 ? undefined : r.json();
}
