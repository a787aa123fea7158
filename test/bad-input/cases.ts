/**
 * The bad-input corpus: every input here is wrong, and fleetplay must say so clearly (the file and
 * line, or the flag or variable, and what to write instead), exit non-zero and write nothing.
 * Inventory cases come from test/inventory/bad-cases.ts and run through the CLI too.
 */
import { ExitCode } from '../../src/errors/index.js';
import { badCases } from '../inventory/bad-cases.js';
import type { BadInput } from './harness.js';

const usage = ExitCode.usage;
const run = (...a: string[]) => ['run', '--mode', 'run', ...a];

const cli: BadInput[] = [
  {
    name: '-e without =',
    kind: 'cli',
    args: run('-e', 'novalue'),
    exit: usage,
    says: ['-e novalue: write NAME=VALUE'],
  },
  { name: '-e =value (no name)', kind: 'cli', args: run('-e', '=1'), exit: usage, says: ['-e =1: write NAME=VALUE'] },
  {
    name: '-e malformed JSON',
    kind: 'cli',
    args: run('-e', '{"a": '),
    exit: usage,
    says: ['-e {"a": : not a YAML/JSON mapping', `write -e '{"name": "value"}'`],
  },
  {
    name: '-e JSON list',
    kind: 'cli',
    args: run('-e', '[1, 2]'),
    exit: usage,
    says: ['-e [1, 2]: not a YAML/JSON mapping'],
  },
  {
    name: '-e @missing file',
    kind: 'cli',
    args: run('-e', '@nope.yml'),
    exit: usage,
    says: ['-e @nope.yml: cannot read the file'],
  },
  { name: '-f 0', kind: 'cli', args: run('-f', '0'), exit: usage, says: ['--forks 0: write a whole number ≥ 1'] },
  { name: '-f -1', kind: 'cli', args: run('-f', '-1'), exit: usage, says: ['--forks -1: write a whole number ≥ 1'] },
  { name: '-f abc', kind: 'cli', args: run('-f', 'abc'), exit: usage, says: ['--forks abc: write a whole number ≥ 1'] },
  { name: '-f 1.5', kind: 'cli', args: run('-f', '1.5'), exit: usage, says: ['--forks 1.5: write a whole number ≥ 1'] },
  {
    name: '--log-format xml',
    kind: 'cli',
    args: ['--log-format', 'xml', ...run()],
    exit: usage,
    says: ['--log-format must be text or json, not "xml"'],
  },
  {
    name: '--mode yolo',
    kind: 'cli',
    args: ['run', '--mode', 'yolo'],
    exit: usage,
    says: ["argument 'yolo' is invalid. Allowed choices are run, dry-run, dry-run-debug"],
  },
  {
    name: '--max-failed abc',
    kind: 'cli',
    args: run('--max-failed', 'abc'),
    exit: usage,
    says: ['--max-failed abc', 'write a whole number (--max-failed 2) or a percentage'],
  },
  {
    name: '--max-failed 150%',
    kind: 'cli',
    args: run('--max-failed', '150%'),
    exit: usage,
    says: ['--max-failed 150%', 'a percentage up to 100'],
  },
  {
    name: "--limit '' (ansible would run every host)",
    kind: 'cli',
    args: run('--limit', ''),
    exit: usage,
    says: ["option '-l, --limit <pattern>' argument '' is invalid", 'leave --limit out to run on all'],
  },
  {
    name: '--report into a folder that does not exist',
    kind: 'cli',
    args: run('--report', 'nodir/r.json'),
    exit: usage,
    says: ['--report nodir/r.json: the folder nodir does not exist', 'create it first'],
  },
  { name: 'unknown flag', kind: 'cli', args: run('--nope'), exit: usage, says: ["unknown option '--nope'"] },
  { name: 'unknown command', kind: 'cli', args: ['rnu'], exit: usage, says: ["unknown command 'rnu'"] },
  {
    name: '-i without a value',
    kind: 'cli',
    args: run('-i'),
    exit: usage,
    says: ["option '-i, --inventory <path>' argument missing"],
  },
  {
    name: 'missing playbook file',
    kind: 'cli',
    args: run('playbooks/nope.yml'),
    exit: usage,
    says: ['playbooks/nope.yml'],
  },
  { name: 'missing inventory', kind: 'cli', args: run('-i', 'nope/'), exit: usage, says: ['nope/'] },
];

const env: BadInput[] = [
  {
    name: 'PLAYBOOK_MODE=bogus',
    kind: 'env',
    args: ['run'],
    env: { PLAYBOOK_MODE: 'bogus' },
    exit: usage,
    says: ['PLAYBOOK_MODE=bogus: write run, dry-run or dry-run-debug'],
  },
];

const PLAY = 'playbooks/bad.yml';

const playbook: BadInput[] = [
  {
    name: 'vars_prompt (runs are not interactive)',
    kind: 'playbook',
    files: { [PLAY]: '- hosts: all\n  vars_prompt:\n    - name: version\n  tasks:\n    - debug: msg=hi\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:1: vars_prompt is not supported`, 'give the value with -e NAME=VALUE'],
  },
  {
    name: 'import_playbook',
    kind: 'playbook',
    files: { [PLAY]: '- import_playbook: other.yml\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:1: import_playbook is not supported`, 'list the plays in one playbook file'],
  },
];

const KC = 'inventory/host_vars/kiosk-campus.yml';
const KC_ID = 'mender_device_id: 9d4bcced-67df-4b98-84b6-645d3f2ec148\n';

/** Inventory content that loads but is wrong for the fleet, or does nothing: said, nothing written. */
const vars: BadInput[] = [
  {
    name: 'host_vars file for a host that is not in the inventory',
    kind: 'inventory',
    files: { 'inventory/host_vars/kiosk-campsu.yml': 'kiosk_enabled: true\n' },
    args: ['run'],
    exit: ExitCode.ok,
    says: [
      '[WARNING]: inventory/host_vars/kiosk-campsu.yml: host_vars for "kiosk-campsu", which is not in the inventory',
      'fix the file name to match its host name',
    ],
  },
  {
    name: 'group_vars file for a group that does not exist',
    kind: 'inventory',
    files: { 'inventory/group_vars/kiosks.yml': 'kiosk_enabled: true\n' },
    args: ['run'],
    exit: ExitCode.ok,
    says: [
      '[WARNING]: inventory/group_vars/kiosks.yml: group_vars for "kiosks", which is no group of the inventory',
      'fix the file name to match a group name',
    ],
  },
  {
    name: 'os_image: 42',
    kind: 'vars',
    files: { [KC]: `${KC_ID}os_image: 42\n` },
    args: run(),
    exit: usage,
    says: [`${KC}:2:1: os_image is a number (42)`, 'write an artifact name (`os_image: fleet-os-'],
  },
  {
    name: 'subscribed_branch written as a list',
    kind: 'vars',
    files: { [KC]: `${KC_ID}subscribed_branch: [canary]\n` },
    args: run(),
    exit: usage,
    says: [`${KC}:2:1: subscribed_branch is a list (["canary"])`, 'write one branch name'],
  },
  {
    name: 'subscribed_branch empty in group_vars',
    kind: 'vars',
    files: { 'inventory/group_vars/canary.yml': 'subscribed_branch:\n' },
    args: run(),
    exit: usage,
    says: ['inventory/group_vars/canary.yml:1:1: subscribed_branch is empty (null)', 'write one branch name'],
  },
  {
    name: 'os_image mapping with a number for a device type',
    kind: 'vars',
    files: { 'inventory/group_vars/canary.yml': 'subscribed_branch: canary\nos_image:\n  raspberrypi3: 1.1\n' },
    args: run(),
    exit: usage,
    says: ['inventory/group_vars/canary.yml:2:1: os_image is a mapping ({"raspberrypi3":1.1})'],
  },
  {
    name: 'os_image_override as a mapping',
    kind: 'vars',
    files: { [KC]: `${KC_ID}os_image_override: {raspberrypi3: x}\n` },
    args: run(),
    exit: usage,
    says: [`${KC}:2:1: os_image_override is a mapping`, 'write an artifact name'],
  },
];

/** The inventory corpus, through `fleetplay run -i`: the same messages, exit 1, nothing written. */
const inventory: BadInput[] = badCases.map((c) => ({
  name: c.name,
  kind: 'inventory',
  loose: Object.fromEntries(Object.entries(c.files).map(([p, t]) => [`bad/${p}`, t])),
  args: run(...(c.sources ?? ['hosts.yml']).flatMap((s) => ['-i', `bad/${s}`])),
  exit: usage,
  says: c.expected,
  strip: 'bad/',
}));

export const corpus: BadInput[] = [...cli, ...env, ...playbook, ...vars, ...inventory];
