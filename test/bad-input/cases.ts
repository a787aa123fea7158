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
/** kiosk-next follows main, the branch the corpus runs: its faults reach the roles. */
const KN = 'inventory/host_vars/kiosk-next.yml';
const KN_ID = 'mender_device_id: 854df144-28aa-4e50-9225-ca5d348354b7\n';

/** A case of `kind`: the args run `run --mode run` unless given; exit 1 unless given. */
const caseOf =
  (kind: BadInput['kind']) =>
  (name: string, says: BadInput['says'], x: Partial<BadInput> = {}): BadInput => ({
    name,
    kind,
    args: run(),
    exit: usage,
    says,
    ...x,
  });
const cliCase = caseOf('cli');
const envCase = caseOf('env');
const varsCase = caseOf('vars');

const cli: BadInput[] = [
  cliCase('-e without =', ['-e novalue: write NAME=VALUE'], { args: run('-e', 'novalue') }),
  { name: '-e =value (no name)', kind: 'cli', args: run('-e', '=1'), exit: usage, says: ['-e =1: write NAME=VALUE'] },
  cliCase('-e malformed JSON', ['-e {"a": : not a YAML/JSON mapping', `write -e '{"name": "value"}'`], {
    args: run('-e', '{"a": '),
  }),
  cliCase('-e JSON list', ['-e [1, 2]: not a YAML/JSON mapping'], { args: run('-e', '[1, 2]') }),
  cliCase('-e @missing file', ['-e @nope.yml: cannot read the file'], { args: run('-e', '@nope.yml') }),
  { name: '-f 0', kind: 'cli', args: run('-f', '0'), exit: usage, says: ['--forks 0: write a whole number ≥ 1'] },
  { name: '-f -1', kind: 'cli', args: run('-f', '-1'), exit: usage, says: ['--forks -1: write a whole number ≥ 1'] },
  { name: '-f abc', kind: 'cli', args: run('-f', 'abc'), exit: usage, says: ['--forks abc: write a whole number ≥ 1'] },
  { name: '-f 1.5', kind: 'cli', args: run('-f', '1.5'), exit: usage, says: ['--forks 1.5: write a whole number ≥ 1'] },
  cliCase('--log-format xml', ['--log-format must be text or json, not "xml"'], {
    args: ['--log-format', 'xml', ...run()],
  }),
  cliCase('--mode yolo', ["argument 'yolo' is invalid. Allowed choices are run, dry-run, dry-run-debug"], {
    args: ['run', '--mode', 'yolo'],
  }),
  cliCase('--max-failed abc', ['--max-failed abc', 'write a whole number (--max-failed 2) or a percentage'], {
    args: run('--max-failed', 'abc'),
  }),
  cliCase('--max-failed 150%', ['--max-failed 150%', 'a percentage up to 100'], { args: run('--max-failed', '150%') }),
  cliCase(
    "--limit '' (ansible would run every host)",
    ["option '-l, --limit <pattern>' argument '' is invalid", 'leave --limit out to run on all'],
    { args: run('--limit', '') },
  ),
  cliCase(
    '--report into a folder that does not exist',
    ['--report nodir/r.json: the folder nodir does not exist', 'create it first'],
    { args: run('--report', 'nodir/r.json') },
  ),
  { name: 'unknown flag', kind: 'cli', args: run('--nope'), exit: usage, says: ["unknown option '--nope'"] },
  { name: 'unknown command', kind: 'cli', args: ['rnu'], exit: usage, says: ["unknown command 'rnu'"] },
  cliCase('-i without a value', ["option '-i, --inventory <path>' argument missing"], { args: run('-i') }),
  cliCase('missing playbook file', ['playbooks/nope.yml'], { args: run('playbooks/nope.yml') }),
  { name: 'missing inventory', kind: 'cli', args: run('-i', 'nope/'), exit: usage, says: ['nope/'] },
  cliCase(
    '--limit matching no host',
    ['--limit nothere matches no host', 'check the pattern against the inventory (fleetplay inventory list)'],
    { args: run('--limit', 'nothere') },
  ),
  cliCase("--limit '!all'", ['--limit !all matches no host'], { args: run('--limit', '!all') }),
  cliCase(
    '--start-at-task naming no task (ansible 2.14: [ERROR], exit 0, nothing run)',
    ['[ERROR]: No matching task "nope" found'],
    { args: run('--start-at-task', 'nope'), exit: ExitCode.ok },
  ),
  cliCase('--branch naming no stage', ['nostage is not a stage branch', 'add nostage to "stages:" in fleetplay.yml'], {
    args: run('--branch', 'nostage'),
  }),
  cliCase(
    '--server that is no URL',
    ['the OTA server URL \\"notaurl\\" (from --server) is not a URL', 'write it as https://host[:port]'],
    { args: run('--server', 'notaurl') },
  ),
  cliCase('--server ftp://', ['(from --server) must use http or https'], {
    args: run('--server', 'ftp://x.example.org'),
  }),
  cliCase('--server http:// without a host', ['the OTA server URL \\"http://\\" (from --server) is not a URL'], {
    args: run('--server', 'http://'),
  }),
  cliCase('-e @folder', ['-e @inventory: cannot read the file'], { args: run('-e', '@inventory') }),
  cliCase('-e @file with malformed JSON', ['-e @x.json: not a YAML/JSON mapping', `write -e '{"name": "value"}'`], {
    loose: { 'x.json': '{"a": ' },
    args: run('-e', '@x.json'),
  }),
  cliCase('-e with a word that is no NAME=VALUE', ['-e b: write NAME=VALUE'], { args: run('-e', 'a=1 b') }),
  cliCase('--max-failed -1', ['--max-failed -1: not a number of devices or a percentage', 'write a whole number'], {
    args: run('--max-failed', '-1'),
  }),
  cliCase("--report ''", ["--report '': no file named", 'name the file to write, e.g. --report report.json'], {
    args: run('--report', ''),
    was: '"--report : is a directory"',
  }),
  cliCase('--report naming a folder', ['--report inventory: is a directory', 'e.g. --report inventory/report.json'], {
    args: run('--report', 'inventory'),
  }),
  cliCase('two playbooks', ["too many arguments for 'run'. Expected 1 argument but got 2."], {
    args: run('playbooks/manage-fleet.yml', 'playbooks/manage-fleet.yml'),
  }),
  cliCase('--mode without a value', ["option '--mode <mode>' argument missing"], { args: ['run', '--mode'] }),
  cliCase('--log-level loud', ['--log-level loud: write one of error, warn, info, debug'], {
    args: ['--log-level', 'loud', ...run()],
    was: 'accepted silently, the run went on and wrote',
  }),
  cliCase('a folder as the playbook', ['cannot read playbooks'], { args: run('playbooks') }),
  cliCase(
    '-i naming a file that does not exist',
    ['inventory source hosts-nope.yml does not exist', 'pass -i with an inventory file'],
    { args: run('-i', 'hosts-nope.yml') },
  ),
];

const env: BadInput[] = [
  envCase('PLAYBOOK_MODE=bogus', ['PLAYBOOK_MODE=bogus: write run, dry-run or dry-run-debug'], {
    args: ['run'],
    env: { PLAYBOOK_MODE: 'bogus' },
    exit: usage,
  }),
  envCase('PLAYBOOK_MODE=RUN (upper case)', ['PLAYBOOK_MODE=RUN: write run, dry-run or dry-run-debug'], {
    args: ['run'],
    env: { PLAYBOOK_MODE: 'RUN' },
    exit: usage,
  }),
  envCase(
    'MENDER_SERVER_URL that is no URL',
    ['(from MENDER_SERVER_URL) is not a URL', 'write it as https://host[:port]'],
    { args: run(), env: { MENDER_SERVER_URL: 'notaurl' }, exit: usage },
  ),
  envCase('MENDER_SERVER_URL ftp://', ['(from MENDER_SERVER_URL) must use http or https'], {
    args: run(),
    env: { MENDER_SERVER_URL: 'ftp://x' },
    exit: usage,
  }),
  envCase(
    'no credentials at all',
    ['no credentials for the Mender server', 'set MENDER_ACCESS_TOKEN to a personal access token'],
    { args: run(), env: { MENDER_ACCESS_TOKEN: '' }, exit: usage },
  ),
  envCase(
    'MENDER_USER without MENDER_PASSWORD',
    ['no credentials for the Mender server', 'or MENDER_USER and MENDER_PASSWORD'],
    { args: run(), env: { MENDER_ACCESS_TOKEN: '', MENDER_USER: 'ops@example.org' }, exit: usage },
  ),
  envCase(
    'MENDER_ACCESS_TOKEN the server refuses',
    ['refused the request POST /api/management/v2/inventory/filters/search (HTTP 401): token wrong'],
    { args: run(), env: { MENDER_ACCESS_TOKEN: 'pat-revoked-5150' }, exit: usage },
  ),
  envCase(
    'MENDER_USER/MENDER_PASSWORD the server refuses',
    ['refused the login of ops@example.org (HTTP 401): user or password wrong'],
    {
      args: run(),
      env: { MENDER_ACCESS_TOKEN: '', MENDER_USER: 'ops@example.org', MENDER_PASSWORD: 'not-the-password' },
      exit: usage,
    },
  ),
  envCase('FLEETPLAY_LOG_LEVEL=loud', ['FLEETPLAY_LOG_LEVEL=loud: write one of error, warn, info, debug'], {
    args: run(),
    env: { FLEETPLAY_LOG_LEVEL: 'loud' },
    exit: usage,
    was: 'accepted silently, the run went on',
  }),
  envCase(
    'HTTP_PROXY that is no URL',
    ['HTTP_PROXY=notaurl is not a proxy URL', 'write HTTP_PROXY=http://proxy.example.org:3128'],
    { args: run(), env: { HTTP_PROXY: 'notaurl' }, exit: ExitCode.hostFailed, was: '"Invalid URL" for every device' },
  ),
  envCase(
    'GHRUNNER_TOKEN empty for a runner device',
    ['GHRUNNER_TOKEN is empty', 'create the repository secret GHRUNNER_TOKEN'],
    {
      files: { [KN]: `${KN_ID}gharunner_enabled: true\ngharunner_account: acme\ngharunner_repo: fleet\n` },
      args: run(),
      env: { GHRUNNER_TOKEN: '' },
      exit: ExitCode.hostFailed,
    },
  ),
  envCase(
    'INFLUXDB_TOKEN empty for a monitored device',
    ['INFLUXDB_TOKEN is empty', 'create the repository secret INFLUXDB_TOKEN'],
    {
      files: {
        [KN]: `${KN_ID}monitoring_enabled: true\ninfluxdb_server: https://influx.example.org\ninfluxdb_bucket: b\ninfluxdb_org: o\n`,
      },
      args: run(),
      env: { INFLUXDB_TOKEN: '' },
      exit: ExitCode.hostFailed,
    },
  ),
];

const PLAY = 'playbooks/bad.yml';
type Extra = Partial<BadInput> & Pick<BadInput, 'says'>;
/** A play on every host whose tasks are `tasks` (indented as a play's task list); exit 1 unless said. */
const pb = (name: string, tasks: string, x: Extra): BadInput => ({
  name,
  kind: 'playbook',
  files: { [PLAY]: `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}` },
  args: run(PLAY),
  exit: usage,
  ...x,
});
/** A play with `keywords` (lines at the play's level) and one debug task. */
const play = (name: string, keywords: string, x: Extra): BadInput => ({
  name,
  kind: 'playbook',
  files: { [PLAY]: `- hosts: all\n${keywords}  tasks:\n    - debug: msg=hi\n` },
  args: run(PLAY),
  exit: usage,
  ...x,
});

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
  pb('unbalanced quote in key=value arguments (ansible: "failed at splitting arguments")', '    - debug: msg="a\n', {
    says: [
      `${PLAY}:4: failed at splitting arguments, either an unbalanced jinja2 block or quotes: msg="a`,
      'close the quote',
    ],
    was: 'ran, printing "a',
  }),
  pb('unbalanced {{ in key=value arguments', '    - debug: msg={{ x\n', {
    says: [`${PLAY}:4: failed at splitting arguments`, 'close the quote or the {{ }}'],
    was: 'ran with the text as written',
  }),
  pb('misspelt module', '    - debgu: msg=hi\n', {
    says: [`${PLAY}:4: unknown module "debgu"`, 'use debug, assert, fail, set_fact'],
  }),
  pb('misspelt task keyword', '    - debug: msg=hi\n      whn: true\n', {
    says: [`${PLAY}:5: task has unknown module or keyword "whn"`],
  }),
  {
    name: 'play without hosts',
    kind: 'playbook',
    files: { [PLAY]: '- tasks:\n    - debug: msg=hi\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:1: play keyword "hosts": missing: every play names its hosts, e.g. hosts: all`],
    was: '"hosts": Invalid input',
  },
  {
    name: 'playbook that is a mapping, not a list',
    kind: 'playbook',
    files: { [PLAY]: 'hosts: all\ntasks:\n  - debug: msg=hi\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:1: a playbook is a YAML list of plays`, 'start with "- hosts: all"'],
  },
  pb('two modules in one task', '    - debug: msg=hi\n      fail: msg=no\n', {
    says: [`${PLAY}:4: task has more than one module (debug, fail)`],
  }),
  pb('when with a syntax error', '    - debug: msg=hi\n      when: x ==\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: The conditional check 'x ==' failed: template syntax error`, 'check the Jinja2 syntax'],
  }),
  pb('loop over a number', '    - debug: msg={{ item }}\n      loop: 5\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: loop must be a list, got number`, 'dict2items'],
  }),
  pb(
    "register with a name that is no variable name (ansible: Invalid variable name in 'register')",
    '    - debug: msg=hi\n      register: 1x\n',
    {
      says: [`${PLAY}:5: task keyword "register": "1x" is not a valid variable name`, 'starting with a letter or _'],
      was: 'accepted silently',
    },
  ),
  pb('include_tasks of a missing file', '    - include_tasks: nope.yml\n', {
    exit: ExitCode.hostFailed,
    says: ['playbooks/nope.yml: cannot read playbooks/nope.yml', 'check the path'],
  }),
  pb('import_tasks of a missing file', '    - import_tasks: nope.yml\n', {
    says: ['playbooks/nope.yml: cannot read playbooks/nope.yml'],
  }),
  {
    name: 'role that does not exist',
    kind: 'playbook',
    files: { [PLAY]: '- hosts: all\n  roles:\n    - nope\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:1: role "nope" not found`, 'create roles/nope/tasks/main.yml'],
  },
  pb('notify naming no handler', '    - debug: msg=hi\n      changed_when: true\n      notify: nope\n', {
    exit: ExitCode.hostFailed,
    says: [
      "The requested handler 'nope' was not found in either the main handlers list nor in the listening handlers list",
    ],
  }),
  {
    name: 'tab indentation',
    kind: 'playbook',
    files: { [PLAY]: '- hosts: all\n  tasks:\n\t- debug: msg=hi\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:3:1: Tabs are not allowed as indentation`],
  },
  {
    name: 'empty playbook file',
    kind: 'playbook',
    files: { [PLAY]: '' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:1: a playbook is a YAML list of plays`],
  },
  play('serial: abc (ansible 2.14 crashes)', '  serial: abc\n', {
    says: [`${PLAY}:2: play keyword "serial": "abc" is no batch size: write a number (serial: 2), a percentage`],
    was: 'accepted silently',
  }),
  play('max_fail_percentage: abc', '  max_fail_percentage: abc\n', {
    says: [`${PLAY}:2: play keyword "max_fail_percentage": "abc" is not a percentage`],
    was: 'accepted silently',
  }),
  play('gather_facts: maybe', '  gather_facts: maybe\n', {
    says: [`${PLAY}:2: play keyword "gather_facts": "maybe" is not a boolean: write true or false`],
    was: 'accepted silently',
  }),
  play('vars_files naming a missing file (ansible: vars file was not found)', '  vars_files: [nope.yml]\n', {
    says: [`${PLAY}:2: vars file nope.yml was not found`, 'create the file'],
    was: 'ignored silently',
  }),
  play('strategy: free', '  strategy: free\n', {
    says: [`${PLAY}:2: play keyword "strategy": Invalid input: expected "linear"`],
  }),
  {
    name: 'duplicate key in a play',
    kind: 'playbook',
    files: { [PLAY]: '- hosts: all\n  hosts: canary\n  tasks:\n    - debug: msg=hi\n' },
    args: run(PLAY),
    exit: usage,
    says: [`${PLAY}:2:3: Map keys must be unique`],
  },
  pb('tasks written as a mapping', '', {
    files: { [PLAY]: '- hosts: all\n  tasks:\n    debug: msg=hi\n' },
    says: [`${PLAY}:2: play keyword "tasks": Invalid input: expected array, received object`],
  }),
  pb('block that is a number', '    - block: 5\n', {
    says: [`${PLAY}:4: block keyword "block": Invalid input: expected array, received number`],
  }),
  pb('ignore_errors: sometimes', '    - debug: msg=hi\n      ignore_errors: sometimes\n', {
    says: [`${PLAY}:5: task keyword "ignore_errors": "sometimes" is not a boolean`],
    was: 'accepted silently',
  }),
  pb('retries: many', '    - debug: msg=hi\n      retries: many\n', {
    says: [`${PLAY}:5: task keyword "retries": "many" is not a number`],
    was: 'accepted silently',
  }),
  pb('mender_os_update without artifact', '    - mender_os_update: {}\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: mender_os_update: artifact: missing: it is required (expected string)`],
    was: 'artifact: Invalid input: expected string, received undefined',
  }),
  pb('mender_config without config', '    - mender_config: {}\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: mender_config: config: missing: it is required`],
    was: 'config: Invalid input: expected record, received undefined',
  }),
  pb('debug with msg and var (ansible: incompatible options)', '    - debug:\n        msg: a\n        var: b\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: debug: arguments: 'msg' and 'var' are incompatible options`],
    was: 'printed nothing, exit 0',
  }),
  pb('assert without that', '    - assert:\n        msg: a\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: assert: that: missing: it is required (a condition or a list of them)`],
    was: 'that: Invalid input',
  }),
  pb('set_fact of a name that is no variable name', '    - set_fact:\n        1x: a\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: set_fact: 1x: not a valid variable name`],
    was: '1x: Invalid key in record',
  }),
  pb('module argument that does not exist', '    - debug: {msg: a, foo: b}\n', {
    exit: ExitCode.hostFailed,
    says: [`${PLAY}:4: debug: arguments: Unrecognized key: \\"foo\\"`, 'see the debug module in docs/playbooks.md'],
  }),
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
  varsCase('os_image: 42', [`${KC}:2:1: os_image is a number (42)`, 'write an artifact name (`os_image: fleet-os-'], {
    files: { [KC]: `${KC_ID}os_image: 42\n` },
    args: run(),
    exit: usage,
  }),
  varsCase(
    'subscribed_branch written as a list',
    [`${KC}:2:1: subscribed_branch is a list (["canary"])`, 'write one branch name'],
    { files: { [KC]: `${KC_ID}subscribed_branch: [canary]\n` }, args: run(), exit: usage },
  ),
  varsCase(
    'subscribed_branch empty in group_vars',
    ['inventory/group_vars/canary.yml:1:1: subscribed_branch is empty (null)', 'write one branch name'],
    { files: { 'inventory/group_vars/canary.yml': 'subscribed_branch:\n' }, args: run(), exit: usage },
  ),
  varsCase(
    'os_image mapping with a number for a device type',
    ['inventory/group_vars/canary.yml:2:1: os_image is a mapping ({"raspberrypi3":1.1})'],
    {
      files: { 'inventory/group_vars/canary.yml': 'subscribed_branch: canary\nos_image:\n  raspberrypi3: 1.1\n' },
      args: run(),
      exit: usage,
    },
  ),
  varsCase('os_image_override as a mapping', [`${KC}:2:1: os_image_override is a mapping`, 'write an artifact name'], {
    files: { [KC]: `${KC_ID}os_image_override: {raspberrypi3: x}\n` },
    args: run(),
    exit: usage,
  }),
];

const TPL = 'playbooks/templates/t.j2';
/** A template file rendered for kiosk-next by lookup('template'): its faults are the file's. */
const tpl = (name: string, text: string, says: BadInput['says'], was?: string): BadInput => ({
  name,
  kind: 'template',
  files: {
    [TPL]: text,
    [PLAY]: `- hosts: kiosk-next\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ lookup('template', 'templates/t.j2') }}"\n`,
  },
  args: run(PLAY),
  exit: ExitCode.hostFailed,
  says,
  was,
});
/** An expression in a task's argument (line 4 of the playbook). */
const expr = (name: string, text: string, says: BadInput['says'], was?: string): BadInput => ({
  name,
  kind: 'template',
  files: { [PLAY]: `- hosts: kiosk-next\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "${text}"\n` },
  args: run(PLAY),
  exit: ExitCode.hostFailed,
  says,
  was,
});

const templates: BadInput[] = [
  tpl(
    'syntax error on line 2 of a template file',
    'a\n{{ 1 + }}\n',
    [`${TPL}:2:8: template syntax error for host kiosk-next: unexpected token: }} (template line 2, column 8)`],
    "named the playbook's task line (4) with the template's file",
  ),
  tpl(
    '{% if %} never closed',
    'a\n{% if x %}\nb\n',
    [`${TPL}: template syntax error for host kiosk-next: expected elif, else, or endif, got end of file`],
    "named the playbook's task line (4) with the template's file",
  ),
  tpl(
    'undefined variable in a template file',
    'a\n{{ nothere }}\n',
    [`${TPL}: undefined variable for host kiosk-next: 'nothere' is undefined`, "write {{ nothere | default('...') }}"],
    "named the playbook's task line (4) with the template's file",
  ),
  tpl(
    'unknown filter in a template file',
    'a\n\n{{ 1 | nofilter }}\n',
    [`${TPL}: template error for host kiosk-next: filter not found: nofilter`, "check the spelling of 'nofilter'"],
    "named the playbook's task line (4) with the template's file",
  ),
  tpl(
    'include of a missing template',
    "{% include 'nope.j2' %}\n",
    [`${TPL}: template error`, 'template not found: nope.j2'],
    "named the playbook's task line (4) with the template's file",
  ),
  {
    name: 'lookup of a template file that does not exist',
    kind: 'template',
    files: {
      [PLAY]: `- hosts: kiosk-next\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ lookup('template', 'nope.j2') }}"\n`,
    },
    args: run(PLAY),
    exit: ExitCode.hostFailed,
    says: [
      `${PLAY}:4: template error for host kiosk-next: could not locate file in lookup: nope.j2 (searched playbooks, playbooks/templates)`,
    ],
  },
  expr("lookup('file') of a missing file", "{{ lookup('file', 'nope.txt') }}", [
    `${PLAY}:4: template error for host kiosk-next: could not locate file in lookup: nope.txt (searched playbooks, playbooks/files)`,
  ]),
  expr('lookup plugin that does not exist', "{{ lookup('nope', 'x') }}", [
    "lookup plugin 'nope' not found; available: env, file, template",
  ]),
  expr('from_json of text that is no JSON', "{{ '{a' | from_json }}", [
    'from_json: the value is not valid JSON (at character 1)',
  ]),
  expr('from_yaml of text that is no YAML', "{{ '[' | from_yaml }}", [
    'from_yaml: the value is not valid YAML (line 1, column 2)',
  ]),
  expr('mandatory on an undefined variable', "{{ nothere | mandatory('set nothere in host_vars') }}", [
    `${PLAY}:4: template error for host kiosk-next: set nothere in host_vars`,
  ]),
  expr('undefined variable through a filter', '{{ nothere | to_json }}', [
    `${PLAY}:4: undefined variable for host kiosk-next: 'nothere' is undefined`,
  ]),
  expr('attribute of an undefined variable', '{{ nothere.y }}', ["'nothere' is undefined", 'define nothere']),
  expr('missing key of a mapping', '{{ os_image.nope }}', [
    "os_image.nope ('dict object' has no attribute 'nope')",
    'check that os_image has that key',
  ]),
  expr('{% for %} without in', '{% for x %}{% endfor %}', [
    'template syntax error for host kiosk-next: expected \\"in\\" keyword for loop',
  ]),
  expr('operator without an operand', '{{ 1 + }}', [
    'template syntax error for host kiosk-next: unexpected token: }} (template line 1, column 8)',
  ]),
  expr('regex that does not compile', "{{ 'a' | regex_replace('(', 'b') }}", [
    'Invalid regular expression: /(/g: Unterminated group',
  ]),
  expr('dict2items of a list', '{{ [1] | dict2items }}', ['dict2items requires a dictionary, got a list instead.']),
  expr('collection filter not available', "{{ '1.2.3.4' | ansible.utils.ipaddr }}", [
    'filter not found: ipaddr',
    "check the spelling of 'ipaddr'",
  ]),
  expr('combine with a number', '{{ {} | combine(5) }}', [
    "combine: argument 2 is a number, not a dictionary; write a mapping such as {'key': 'value'}",
  ]),
  expr('unknown test', '{{ 1 is nothing }}', ["no test named 'nothing'", "check the spelling of 'nothing'"]),
  expr('lookup vars (not supported)', "{{ lookup('vars', 'nothere') }}", [
    "lookup plugin 'vars' not found; available: env, file, template",
  ]),
];

const fleetVars: BadInput[] = [
  varsCase(
    'Jinja syntax error in host_vars: reported at the host_vars file and line',
    [
      `${KN}:3:1: template syntax error in the value of kiosk_url for host kiosk-next, read by task \\"Render the device configuration\\" (playbooks/roles/desired_state/tasks/main.yml:20)`,
    ],
    {
      files: { [KN]: `${KN_ID}kiosk_enabled: true\nkiosk_url: "{{ base ~ }}"\n` },
      args: run(),
      exit: ExitCode.hostFailed,
      was: "reported at the role's task line (playbooks/roles/desired_state/tasks/main.yml:20)",
    },
  ),
  varsCase(
    'Jinja syntax error in group_vars (a stage group)',
    [
      'inventory/group_vars/qualification.yml:2:1: template syntax error in the value of os_image_override for host kiosk-next',
    ],
    {
      files: { 'inventory/group_vars/qualification.yml': 'subscribed_branch: main\nos_image_override: "{{ x | }}"\n' },
      args: run(),
      exit: ExitCode.hostFailed,
      was: "reported at the role's task line",
    },
  ),
  varsCase(
    'unknown filter in a host_vars value',
    [`${KN}:2:1: template error in the value of os_image_override for host kiosk-next`, 'filter not found: nofilter'],
    {
      files: { [KN]: `${KN_ID}os_image_override: "{{ 'x' | nofilter }}"\n` },
      args: run(),
      exit: ExitCode.hostFailed,
      was: "reported at the role's task line",
    },
  ),
  varsCase(
    'Jinja syntax error in a host entry of hosts.yml',
    ['inventory/hosts.yml:6:11: template syntax error in the value of os_image_override for host kiosk-next'],
    {
      files: {
        'inventory/hosts.yml':
          'all:\n  children:\n    qualification:\n      hosts:\n        kiosk-next:\n          os_image_override: "{% if %}"\n',
      },
      args: run(),
      exit: ExitCode.hostFailed,
      was: "reported at the role's task line",
    },
  ),
  varsCase(
    'kiosk_enabled without kiosk_url',
    [
      'kiosk_enabled is true but kiosk_url is not set or empty: add kiosk_url: https://… to inventory/host_vars/kiosk-next.yml',
    ],
    {
      files: { [KN]: `${KN_ID}kiosk_enabled: true\n` },
      args: run(),
      exit: ExitCode.hostFailed,
      was: 'pushed kiosk_url: "" (the role default shadowed mandatory)',
    },
  ),
  varsCase('kiosk_url empty', ['kiosk_enabled is true but kiosk_url is not set or empty'], {
    files: { [KN]: `${KN_ID}kiosk_enabled: true\nkiosk_url: ""\n` },
    args: run(),
    exit: ExitCode.hostFailed,
    was: 'pushed kiosk_url: ""',
  }),
  varsCase(
    'gharunner_enabled without gharunner_account',
    [
      'gharunner_enabled is true but gharunner_account is not set or empty: add gharunner_account: ORG_OR_USER to inventory/host_vars/kiosk-next.yml',
    ],
    {
      files: { [KN]: `${KN_ID}gharunner_enabled: true\ngharunner_repo: fleet\n` },
      args: run(),
      exit: ExitCode.hostFailed,
      was: 'pushed gharunner_account: ""',
    },
  ),
  varsCase(
    'monitoring_enabled without influxdb_server',
    ['monitoring_enabled is true but influxdb_server is not set or empty'],
    {
      files: { [KN]: `${KN_ID}monitoring_enabled: true\ninfluxdb_bucket: b\ninfluxdb_org: o\n` },
      args: run(),
      exit: ExitCode.hostFailed,
      was: 'pushed influxdb_server: ""',
    },
  ),
  varsCase(
    'host_vars YAML syntax error',
    [`${KN}:3:1: YAML syntax error: Missing closing "quote`, 'add the closing quote'],
    { files: { [KN]: `${KN_ID}kiosk_url: "a\n` }, args: run(), exit: usage },
  ),
  varsCase('host_vars with a key twice', [`${KN}:3:1: duplicate key "kiosk_enabled" (first at line 2)`], {
    files: { [KN]: `${KN_ID}kiosk_enabled: true\nkiosk_enabled: false\n` },
    args: run(),
    exit: usage,
  }),
  varsCase('host_vars that is a list', [`${KN}:1:1: a vars file must be a mapping of variable names to values`], {
    files: { [KN]: '- a\n- b\n' },
    args: run(),
    exit: usage,
  }),
  varsCase(
    'mender_api with an unknown key',
    ['mender_api: Unrecognized key: \\"retries\\"', 'mender_api takes concurrency, rps'],
    { files: { [KN]: `${KN_ID}mender_api: {retries: 3}\n` }, args: run(), exit: ExitCode.hostFailed },
  ),
  varsCase('mender_api.rps as text', ['mender_api.rps: Invalid input: expected number'], {
    files: { [KN]: `${KN_ID}mender_api: {rps: fast}\n` },
    args: run(),
    exit: ExitCode.hostFailed,
  }),
  varsCase('mender_api.timeout_ms negative', ['mender_api.timeout_ms: Too small: expected number to be >0'], {
    files: { [KN]: `${KN_ID}mender_api: {timeout_ms: -1}\n` },
    args: run(),
    exit: ExitCode.hostFailed,
  }),
  varsCase('mender_api as a list', ['mender_api: Invalid input: expected object'], {
    files: { [KN]: `${KN_ID}mender_api: [1]\n` },
    args: run(),
    exit: ExitCode.hostFailed,
  }),
  varsCase(
    'device_config_ignore as text',
    [`${KN}:2:1: device_config_ignore is a string ("kiosk_url")`, 'write a list of configuration keys'],
    {
      files: { [KN]: `${KN_ID}device_config_ignore: kiosk_url\n` },
      args: run(),
      exit: usage,
      was: "mender_config: ignore: Invalid input: expected array, received string — at the role's task",
    },
  ),
  varsCase('gharunner_labels as a number', [`${KN}:2:1: gharunner_labels is a number (5)`, 'write a list of labels'], {
    files: { [KN]: `${KN_ID}gharunner_labels: 5\n` },
    args: run(),
    exit: usage,
    was: 'join: expected a list, got a number — at the template, with the whole template printed',
  }),
  varsCase(
    'os_image_override naming an artifact the server lacks',
    ['no artifact named fleet-os-9.9.9-raspberrypi4 on the server; upload it or correct os_image'],
    {
      files: { [KN]: `${KN_ID}os_image_override: fleet-os-9.9.9-raspberrypi4\n` },
      args: run(),
      exit: ExitCode.hostFailed,
    },
  ),
  varsCase(
    'os_image_override naming an artifact of another device type',
    ['no artifact named fleet-os-1.1.0-raspberrypi3 fits device type raspberrypi4 (it exists for raspberrypi3)'],
    {
      files: { [KN]: `${KN_ID}os_image_override: fleet-os-1.1.0-raspberrypi3\n` },
      args: run(),
      exit: ExitCode.hostFailed,
    },
  ),
  varsCase(
    'os_image without the device type',
    [
      'no OS image for device type raspberrypi4: add `raspberrypi4: ARTIFACT_NAME` under os_image in group_vars/all.yml',
    ],
    {
      files: {
        'inventory/group_vars/all.yml':
          'subscribed_branch: production\nos_image:\n  raspberrypi3: fleet-os-1.0.0-raspberrypi3\n',
      },
      args: run(),
      exit: ExitCode.hostFailed,
    },
  ),
  varsCase('subscribed_branch as a number', [`${KN}:2:1: subscribed_branch is a number (42)`], {
    files: { [KN]: `${KN_ID}subscribed_branch: 42\n` },
    args: run(),
    exit: usage,
  }),
  varsCase(
    'mender_device_id the server does not know',
    [
      'device 00000000-0000-4000-8000-000000000000 is not known to the OTA server',
      'check the host name (or mender_device_id)',
    ],
    {
      files: { [KN]: 'mender_device_id: 00000000-0000-4000-8000-000000000000\n' },
      args: run(),
      exit: ExitCode.otaUnreachable,
    },
  ),
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

export const corpus: BadInput[] = [...cli, ...env, ...playbook, ...templates, ...vars, ...fleetVars, ...inventory];
