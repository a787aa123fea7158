/**
 * Reads are not repeated (`--mode run`, plan then apply): a playbook whose later tasks use what
 * an earlier write returned — test/fixtures/mender/readback.yml: a deployment created per
 * device (uri POST, register), read back from its Location header, its id kept with set_fact,
 * shown, then aborted by that id — makes the same requests (method, path, body) and prints the
 * same PLAY RECAP as ansible-playbook 2.14 (recorded by generate.mjs readback). The tasks that
 * read the write's answer run at apply; every other read is made once, in the plan phase.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { dir, expected, HOSTS, isRead, multiset, recapLines, runFixture, type Request } from './mender-fixture.js';

const recorded = expected.readback;
const source = readFileSync(join(dir, 'readback.yml'), 'utf8');
const [H1, H2, H3] = HOSTS;

const inventoryReads = (qs: Request[]) => qs.filter((q) => isRead(q) && q.path.includes('/inventory/devices/'));
const writes = (qs: Request[]) => qs.filter((q) => !isRead(q));
/** The output of the plan phase: everything before the APPLY banner (or the recap). */
const planPart = (text: string) => text.slice(0, text.search(/\n(APPLY \[|PLAN FAILED|PLAY RECAP)/));
const applyPart = (text: string) => text.slice(text.indexOf('\nAPPLY ['));

/** readback.yml with a last task that fails for H2 only (after every write and every read-back). */
const failsForH2 = `${source.trimEnd()}
    - name: a later check fails for one device
      fail:
        msg: not this one
      when: inventory_hostname == '${H2}'
`;

describe('a later task reads what a write returned: it runs at apply, with the real answer', () => {
  test('the recording creates, reads back and aborts one deployment per device', () => {
    expect(recorded.rc).toBe(0);
    expect(inventoryReads(recorded.requests)).toHaveLength(3);
    expect(recorded.requests.filter((q) => q.method === 'POST')).toHaveLength(3);
    expect(
      recorded.requests.filter((q) => q.method === 'PUT' && q.path.includes('<deployment readback-')),
    ).toHaveLength(3);
  });

  test('run: the same requests (method, path, body) and the same PLAY RECAP as ansible-playbook', async () => {
    const { r, text, requests } = await runFixture('readback', 'run');
    expect(r.errors).toEqual([]);
    expect(multiset(requests)).toEqual(multiset(recorded.requests));
    expect(recapLines(text)).toEqual(recorded.recap);
    expect(r.exitCode).toBe(recorded.rc);
    // The inventory read is made once per device (in the plan phase), not again at apply.
    expect(inventoryReads(requests)).toHaveLength(HOSTS.length);
    // Every write and every read-back comes after the plan's reads: nothing is written before the plan is done.
    const firstWrite = requests.findIndex((q) => !isRead(q));
    expect(requests.slice(firstWrite).filter((q) => q.path.includes('/inventory/'))).toEqual([]);
  });

  test('the plan says which tasks wait for the apply; they run there, in task order, with the real answer', async () => {
    const { r, text } = await runFixture('readback', 'run');
    const plan = planPart(text);
    for (const h of HOSTS) {
      expect(plan).toContain(`deferred: [${h}] (reads the result of "create a deployment", runs at apply)`);
      expect(plan).toContain(`deferred: [${h}] (reads the result of "read the deployment back", runs at apply)`);
      expect(plan).toContain(`deferred: [${h}] (reads the result of "keep its id and status", runs at apply)`);
    }
    // Reading only `changed`/`failed` of the write is the plan's: shown in the plan phase.
    expect(plan).toContain('"msg": "created changed: False, failed: False"');
    const apply = applyPart(text);
    expect(apply).toMatch(/^\nAPPLY \[3 writes, 4 deferred tasks for 3 devices\]/);
    const order = ['read the deployment back', 'keep its id and status', 'show it', 'abort it'].map((t) =>
      apply.indexOf(`TASK [${t}]`),
    );
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    for (const h of HOSTS) expect(apply).toContain(`"msg": "readback-${h} for ${h} is pending"`);
    expect(r.report.apply).toMatchObject({ applied: true, writes: 3, devices: 3, failed: {} });
  });

  test('a playbook that reads only `changed` of a registered write is not put off', async () => {
    const upTo = source.indexOf('    - name: read the deployment back');
    const { r, text, requests } = await runFixture('readback', 'run', { playbook: source.slice(0, upTo) });
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(text).not.toContain('deferred:');
    expect(planPart(text)).toContain('"msg": "created changed: False, failed: False"');
    expect(text).toContain('APPLY [3 writes for 3 devices]');
    // The recording's requests up to the creations: the reads and the POSTs, nothing else.
    const created = recorded.requests.filter((q) => (isRead(q) ? q.path.includes('/inventory/') : q.method === 'POST'));
    expect(multiset(requests)).toEqual(multiset(created));
    for (const h of HOSTS) expect(r.recap[h]).toMatchObject({ ok: 3, failed: 0 });
  });

  test('a host fails in the plan: nothing is written and no task put off runs', async () => {
    const { r, text, requests } = await runFixture('readback', 'run', { playbook: failsForH2 });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    expect(text).toContain('PLAN FAILED: nothing was written');
    expect(writes(requests)).toEqual([]);
    // Only the plan's reads: the deployments were never read back.
    expect(requests).toEqual(inventoryReads(requests));
    expect(requests).toHaveLength(HOSTS.length);
    expect(text).not.toContain('APPLY [');
    expect(text).not.toMatch(/"msg": "readback-/);
    // The recap counts what ran: the read, the creation (planned) and the debug; H2 failed.
    expect(r.recap[H1]).toMatchObject({ ok: 3, failed: 0, skipped: 1 });
    expect(r.recap[H2]).toMatchObject({ ok: 3, failed: 1 });
    expect(r.report.apply).toMatchObject({ applied: false, devices: 0 });
  });

  test('--max-failed 1: the others are written and their tasks put off run; the failed host gets neither', async () => {
    const { r, text, requests } = await runFixture('readback', 'run', {
      playbook: failsForH2,
      maxFailed: { kind: 'count', n: 1 },
    });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    const others = (qs: Request[]) => qs.filter((q) => !JSON.stringify(q).includes(H2));
    expect(multiset(requests.filter((q) => !isRead(q) || !q.path.includes('/inventory/')))).toEqual(
      multiset(others(recorded.requests).filter((q) => !isRead(q) || !q.path.includes('/inventory/'))),
    );
    expect(writes(requests).some((q) => JSON.stringify(q).includes(H2))).toBe(false);
    expect(text).toContain(`"msg": "readback-${H1} for ${H1} is pending"`);
    expect(text).not.toContain(`"msg": "readback-${H2}`);
    expect(r.recap[H3]).toMatchObject({ ok: 7, failed: 0 });
  });

  test('a task put off fails at apply: reported (fatal, recap, report), its later writes not sent, earlier ones stay', async () => {
    // The read-back expects a status the server does not answer: it fails at apply, on every device.
    const playbook = source.replace(
      '        url: "{{ created.location }}"\n        headers: "{{ auth }}"\n',
      '        url: "{{ created.location }}"\n        headers: "{{ auth }}"\n        status_code: [299]\n',
    );
    expect(playbook).not.toBe(source);
    const { r, text, requests } = await runFixture('readback', 'run', { playbook });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    const apply = applyPart(text);
    for (const h of HOSTS) {
      expect(apply).toMatch(new RegExp(`fatal: \\[${h}\\]: FAILED! => .*Status code was 200 and not \\[299\\]`));
      expect(r.recap[h]).toMatchObject({ failed: 1 });
      expect(r.report.apply?.failed[h]).toMatch(/Status code was 200 and not \[299\]/);
    }
    // The deployments were created (a write cannot be undone) and read back once; none was aborted.
    expect(requests.filter((q) => q.method === 'POST')).toHaveLength(3);
    expect(requests.filter((q) => isRead(q) && q.path.includes('<deployment'))).toHaveLength(3);
    expect(requests.filter((q) => q.method === 'PUT')).toEqual([]);
    expect(apply).not.toContain('TASK [show it]');
  });

  test('registers of writes in a loop, of run_once and of another host (hostvars): as ansible-playbook', async () => {
    const edges = expected.readback_edges;
    const { r, text, requests } = await runFixture('readback_edges', 'run');
    expect(multiset(requests)).toEqual(multiset(edges.requests));
    expect(recapLines(text)).toEqual(edges.recap);
    expect(r.exitCode).toBe(edges.rc);
    const plan = planPart(text);
    // The number of items and `is changed` are the plan's; each item's location, the apply's.
    expect(plan).toContain('"msg": "2 made, changed False"');
    for (const h of HOSTS) {
      expect(plan).toContain(`deferred: [${h}] (reads the result of "create in a loop", runs at apply)`);
      expect(plan).toContain(`deferred: [${h}] (reads the result of "once", runs at apply)`);
    }
    const apply = applyPart(text);
    const answers = (task: string) =>
      apply
        .slice(apply.indexOf(`TASK [${task}]`))
        .split('\n\n')[0]
        .match(/"msg": "201"/g) ?? [];
    expect(answers('everyone reads the run_once answer')).toHaveLength(3);
    expect(answers("another host's answer")).toHaveLength(3);
  });
});
