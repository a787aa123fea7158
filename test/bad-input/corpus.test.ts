/**
 * Bad input gets a clear message every time, never silence (issue 13): each case of the corpus
 * runs through the CLI against the real embedded server and must exit with its code, say what
 * is wrong and what to write instead, and leave the server without a single write.
 */
import { fleetServer } from '../stage/helpers.js';
import type { TestServer } from '../ota/helpers.js';
import { corpus } from './cases.js';
import { runBadInput } from './harness.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await fleetServer();
});
afterAll(() => srv.close());

test.each(corpus)('$kind: $name', async (c) => {
  const r = await runBadInput(c, srv);
  expect({ code: r.code, writes: r.writes }).toEqual({ code: c.exit, writes: 0 });
  for (const s of c.says)
    expect(r.out).toEqual(typeof s === 'string' ? expect.stringContaining(s) : expect.stringMatching(s));
});

test('every case has its own name', () => {
  expect(new Set(corpus.map((c) => `${c.kind}: ${c.name}`)).size).toBe(corpus.length);
});
