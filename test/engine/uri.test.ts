/** The uri module against a real HTTP server on 127.0.0.1 (port 0). */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { H1, play } from './helpers.js';
import { flatResults } from '../../src/engine/report.js';
import { absoluteLocation } from '../../src/modules/builtin/uri.js';

let server: Server;
let base = '';
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === '/missing') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('nope');
        return;
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, {
        'Content-Type': 'application/json',
        'X-Fleet-Id': 'f1',
        'Set-Cookie': 'session=abc; Path=/',
      });
      res.end(JSON.stringify({ method: req.method, got: body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('GET returns status, json, content, cookies and lower-cased headers', async () => {
  const r = await play(
    `- hosts: canary\n  tasks:\n    - uri:\n        url: ${base}/x\n        return_content: true\n      register: out\n    - debug: var=out\n`,
  );
  const out = flatResults(r.report.results)[1].result.out as Record<string, unknown>;
  expect(out).toMatchObject({
    status: 200,
    json: { method: 'GET', got: '' },
    content: '{"method":"GET","got":""}',
    cookies: { session: 'abc' },
    x_fleet_id: 'f1',
    content_type: 'application/json',
    changed: false,
    failed: false,
  });
});

test('POST json body, basic auth, status_code list', async () => {
  const r = await play(
    `- hosts: canary\n  tasks:\n    - uri:\n        url: ${base}/d\n        method: POST\n        body_format: json\n        body: {device: "{{ inventory_hostname }}", n: 1}\n        user: admin\n        password: pa55word-x\n        force_basic_auth: true\n        status_code: [200, 201]\n      register: out\n`,
  );
  expect(r.exitCode).toBe(0);
  const req = seen.at(-1)!;
  expect(JSON.parse(req.body)).toEqual({ device: H1, n: 1 });
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.headers.authorization).toBe(`Basic ${Buffer.from('admin:pa55word-x').toString('base64')}`);
  // Plan, then apply: the task's result is the planned one; the request goes after the plan.
  expect(flatResults(r.report.results)[0].result).toMatchObject({ changed: false, method: 'POST' });
  expect(r.report.apply).toEqual({ applied: true, writes: 1, devices: 1, failed: {} });
  expect(JSON.stringify(r.report)).not.toContain('pa55word-x');
});

test('a write refused in the apply phase fails its host: fatal line, recap, exit code 2', async () => {
  const before = seen.length;
  const r = await play(
    `- hosts: canary\n  tasks:\n    - uri:\n        url: ${base}/missing\n        method: PUT\n        status_code: 204\n    - uri:\n        url: ${base}/after\n        method: POST\n`,
  );
  // The second write is not sent for a host whose first one failed (it would have left the play).
  expect(seen.slice(before).map((q) => `${q.method} ${q.url}`)).toEqual(['PUT /missing']);
  expect(r.exitCode).toBe(2);
  expect(r.recap[H1]).toMatchObject({ ok: 1, failed: 1 });
  expect(r.text).toMatch(
    /APPLY \[2 writes for 1 devices\][^]*fatal: \[[^\]]+\]: FAILED! => .*Status code was 404 and not \[204\]/,
  );
  expect(r.report.apply?.failed[H1]).toMatch(/Status code was 404/);
});

test('form-urlencoded body', async () => {
  await play(
    `- hosts: canary\n  tasks:\n    - uri:\n        url: ${base}/f\n        method: PUT\n        body_format: form-urlencoded\n        body: {a: "1 2", b: x}\n`,
  );
  const req = seen.at(-1)!;
  expect(req.body).toBe('a=1+2&b=x');
  expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
});

test("an unexpected status fails the host with ansible's message; unreachable URL too", async () => {
  const r = await play(`- hosts: canary\n  tasks:\n    - uri:\n        url: ${base}/missing\n`);
  expect(r.exitCode).toBe(2);
  expect(flatResults(r.report.results)[0].result).toMatchObject({
    status: 404,
    msg: 'Status code was 404 and not [200]: HTTP Error 404: Not Found',
    content: 'nope',
  });
  const down = await play(
    `- hosts: canary\n  tasks:\n    - uri:\n        url: http://127.0.0.1:1/\n        timeout: 2\n`,
  );
  expect(flatResults(down.report.results)[0].result).toMatchObject({ status: -1, failed: true });
});

test('check mode sends GET but not writes', async () => {
  const before = seen.length;
  const r = await play(
    `- hosts: canary\n  tasks:\n    - uri: url=${base}/g\n    - uri:\n        url: ${base}/w\n        method: DELETE\n`,
    { mode: 'dry-run' },
  );
  expect(seen.slice(before).map((s) => s.method)).toEqual(['GET']);
  expect(flatResults(r.report.results).map((x) => x.status)).toEqual(['ok', 'changed']);
});

describe('location: a relative Location header made absolute as ansible does (absolute_location)', () => {
  test('an absolute one as it is, "/x" against the scheme and host, "x" against the folder', () => {
    expect(absoluteLocation('http://a:1/api/x', 'https://b/y')).toBe('https://b/y');
    expect(absoluteLocation('http://a:1/api/deployments', '/api/deployments/7')).toBe('http://a:1/api/deployments/7');
    expect(absoluteLocation('http://a:1', '/x')).toBe('http://a:1/x');
    expect(absoluteLocation('http://a:1/api/deployments', '7')).toBe('http://a:1/api/7');
  });
});
