/**
 * Differential: a generic Ansible + Mender playbook (uri for every call, one request per device,
 * register, set_fact, json_query, run_once, delegate_to: localhost, no_log, roles under when,
 * lookup('template')) against the embedded server. fleetplay must send exactly the requests
 * ansible-playbook 2.14 sent — reads and writes, method, path, query, body — and print the same
 * PLAY RECAP. Recorded per scenario in test/fixtures/mender/expected.json by generate.mjs there.
 *
 * This is the contract `--mode run` keeps whatever its strategy (plan, then apply): the same
 * requests in total, and the reads of each device in the order its tasks make them.
 */
import {
  expected,
  HOSTS,
  isRead,
  key,
  multiset,
  recapLines,
  runFixture,
  TOKEN,
  type Request,
} from './mender-fixture.js';

/** Each device's reads in the order it made them; fleet-wide ones (run_once) under "fleet". */
function readsByHost(qs: Request[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const q of qs.filter(isRead)) {
    const host = HOSTS.find((h) => key(q).includes(h)) ?? 'fleet';
    (out[host] ??= []).push(key(q));
  }
  return out;
}

const runAgainstServer = (scenario: string, mode: 'run' | 'dry-run') => runFixture(scenario, mode);

describe('generic Ansible + Mender playbook: the requests and the recap of ansible-playbook', () => {
  const converge = expected.converge;

  test('the recording reads and writes for every device, and reads once for the fleet', () => {
    const reads = readsByHost(converge.requests);
    expect(Object.keys(reads).sort()).toEqual([...HOSTS, 'fleet'].sort());
    expect(reads.fleet).toHaveLength(1);
    for (const h of HOSTS) expect(converge.requests.some((q) => !isRead(q) && key(q).includes(h))).toBe(true);
    expect(converge.recap).toHaveLength(HOSTS.length);
  });

  test('run: the same requests, reads and writes, and the same PLAY RECAP', async () => {
    const { r, text, requests } = await runAgainstServer('converge', 'run');
    expect(r.errors).toEqual([]);
    expect(multiset(requests)).toEqual(multiset(converge.requests));
    expect(readsByHost(requests)).toEqual(readsByHost(converge.requests));
    expect(recapLines(text)).toEqual(converge.recap);
    expect(r.exitCode).toBe(converge.rc);
    expect(text).not.toContain(TOKEN);
    // The role's debug reads `created.status`, the answer of the deployment's POST: it runs at
    // apply and says what ansible-playbook says ("deployment 201"), not the plan's default.
    expect(text).toMatch(
      /APPLY \[[^\n]*\n\nTASK \[os_update : debug\][^\n]*\nok: \[[^\]]+\] => \{\n {4}"msg": "deployment 201"/,
    );
  });

  test('dry-run: the same reads in the same order per device, and no write', async () => {
    const { r, requests } = await runAgainstServer('converge', 'dry-run');
    expect(r.exitCode).toBe(0);
    expect(requests.filter((q) => !isRead(q))).toEqual([]);
    expect(readsByHost(requests)).toEqual(readsByHost(converge.requests));
  });

  test('one device fails in a later task: the same reads, that device failed', async () => {
    const fails = expected.one_host_fails;
    // ansible wrote for the other devices (and before the failure: the OS deployment); fleetplay's
    // plan, then apply deliberately writes nothing when a host failed in the plan phase. The
    // writes are the plan/apply tests' to check; both tools make the same reads.
    expect(fails.requests.some((q) => !isRead(q))).toBe(true);
    const { r, requests } = await runAgainstServer('one_host_fails', 'run');
    expect(readsByHost(requests)).toEqual(readsByHost(fails.requests));
    expect(r.exitCode).toBe(fails.rc);
    const failed = (stats: Record<string, number>) => Object.fromEntries(HOSTS.map((h) => [h, stats[h]]));
    expect(failed(Object.fromEntries(Object.entries(r.recap).map(([h, s]) => [h, s.failed])))).toEqual(
      failed(Object.fromEntries(Object.entries(fails.stats).map(([h, s]) => [h, s.failures]))),
    );
  });
});
