/**
 * Inputs that are not errors but would do nothing without a word: fleetplay warns as ansible does
 * (its text), the run goes on and writes nothing for what matched nothing.
 */
import { fleetServer } from '../stage/helpers.js';
import type { TestServer } from '../ota/helpers.js';
import { runBadInput } from './harness.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await fleetServer();
});
afterAll(() => srv.close());

test('a play whose hosts match nothing: ansible-playbook 2.14 warning, then "skipping: no hosts matched"', async () => {
  const play =
    '- hosts: kiosks_typo\n  tasks:\n    - debug: msg=hi\n- hosts: canary,nothere\n  tasks:\n    - debug: msg=hi\n';
  const r = await runBadInput(
    {
      name: 'hosts match nothing',
      kind: 'playbook',
      files: { 'pb.yml': play },
      args: ['run', '--mode', 'run', 'pb.yml'],
      exit: 0,
      says: [],
    },
    srv,
  );
  expect({ code: r.code, writes: r.writes }).toEqual({ code: 0, writes: 0 });
  expect(r.out).toContain(
    '[WARNING]: Could not match supplied host pattern, ignoring: kiosks_typo\n\nPLAY [kiosks_typo] ****',
  );
  expect(r.out).toContain('skipping: no hosts matched');
  expect(r.out).toContain('[WARNING]: Could not match supplied host pattern, ignoring: nothere\n');
  expect(r.out).not.toContain('ignoring: canary');
});
