/**
 * The OTA part of the bad-input corpus: one embedded server and one misbehaving proxy in front of
 * it for the whole file; each case sets the proxy's misbehaviour and runs the CLI against it. The
 * endpoint must have been asked (the case tests what it says), the run must say what the server
 * sent, and nothing may be written.
 */
import { fleetServer } from '../stage/helpers.js';
import type { TestServer } from '../ota/helpers.js';
import { runBadInput } from './harness.js';
import { otaCorpus } from './ota-cases.js';
import { otaProxy, type OtaProxy } from './ota-proxy.js';

let srv: TestServer;
let proxy: OtaProxy;
beforeAll(async () => {
  srv = await fleetServer();
  proxy = await otaProxy(srv.url);
});
afterAll(async () => {
  await proxy.close();
  await srv.close();
});

test.each(otaCorpus)('$kind: $name', async (c) => {
  proxy.set(c.ota);
  const r = await runBadInput(c, srv, proxy.url);
  expect({ code: r.code, writes: r.writes, asked: proxy.hits > 0 }).toEqual({ code: c.exit, writes: 0, asked: true });
  for (const s of c.says)
    expect(r.out).toEqual(typeof s === 'string' ? expect.stringContaining(s) : expect.stringMatching(s));
});

test('every OTA case has its own name', () => {
  expect(new Set(otaCorpus.map((c) => c.name)).size).toBe(otaCorpus.length);
});
