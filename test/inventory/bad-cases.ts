import { id } from './helpers.js';

/** Bad inventories: files to write, and the exact messages fleetplay must print for them. */
export interface BadCase {
  name: string;
  files: Record<string, string>;
  /** -i sources relative to the temp dir; default hosts.yml. */
  sources?: string[];
  expected: string[];
}

const U1 = id(1);
const U2 = id(2);

export const badCases: BadCase[] = [
  {
    name: 'YAML syntax: unclosed quote',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}:\n      kiosk_url: "https://example.org\n` },
    expected: [
      "hosts.yml:5:1: YAML syntax error: Missing closing \"quote\n  hint: add the closing quote or bracket that is missing",
    ],
  },
  {
    name: 'YAML syntax: tab indentation',
    files: { 'hosts.yml': `all:\n\thosts:\n\t\t${U1}:\n` },
    expected: [
      "hosts.yml:2:1: YAML syntax error: Tabs are not allowed as indentation\n  hint: indent with spaces; YAML does not allow tabs",
      "hosts.yml:3:1: YAML syntax error: Tabs are not allowed as indentation\n  hint: indent with spaces; YAML does not allow tabs",
    ],
  },
  {
    name: 'duplicate host key',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}:\n    ${U2}:\n    ${U1}:\n` },
    expected: [
      `hosts.yml:5:5: duplicate key "${U1}" (first at line 3): YAML would keep only the last one\n  hint: merge the two entries into one, or remove one of them`,
    ],
  },
  {
    name: 'duplicate group key',
    files: { 'hosts.yml': `all:\n  children:\n    production:\n      hosts: {${U1}: }\n    production:\n      hosts: {${U2}: }\n` },
    expected: [
      "hosts.yml:5:5: duplicate key \"production\" (first at line 3): YAML would keep only the last one\n  hint: merge the two entries into one, or remove one of them",
    ],
  },
  {
    name: 'name used as device and group',
    files: { 'hosts.yml': `all:\n  children:\n    ${U2}:\n      hosts:\n        ${U1}:\n    production:\n      hosts:\n        ${U2}:\n` },
    expected: [
      `hosts.yml:8:9: "${U2}" is used both as a device and as a group\n  hint: rename the group: group names should say what the devices have in common (e.g. \`kiosks\`)`,
    ],
  },
  {
    name: 'unknown key at group level (host instead of hosts)',
    files: { 'hosts.yml': `all:\n  children:\n    production:\n      host:\n        ${U1}:\n` },
    expected: [
      "hosts.yml:4:7: unknown key `host` in group \"production\"\n  hint: a group has only `hosts:`, `children:`, `vars:`; put variables under `vars:` and devices under `hosts:`",
    ],
  },
  {
    name: 'unknown key at top-level group (variables directly under the group)',
    files: { 'hosts.yml': `production:\n  subscribed_branch: production\n  hosts:\n    ${U1}:\n` },
    expected: [
      "hosts.yml:2:3: unknown key `subscribed_branch` in group \"production\"\n  hint: a group has only `hosts:`, `children:`, `vars:`; put variables under `vars:` and devices under `hosts:`",
    ],
  },
  {
    name: 'hostname that is not a device id',
    files: { 'hosts.yml': `all:\n  children:\n    kiosks:\n      hosts:\n        kiosk-central-station:\n` },
    expected: [
      "hosts.yml:5:9: \"kiosk-central-station\" is not a device id\n  hint: use the device id from the Mender UI (a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70) and put the readable name in a comment or a `device_name` host var",
    ],
  },
  {
    name: 'device id in upper case',
    files: { 'hosts.yml': `all:\n  hosts:\n    0B4F2C9E-6D1A-4E43-9A57-2F8D3C1E5B70:\n` },
    expected: [
      "hosts.yml:3:5: \"0B4F2C9E-6D1A-4E43-9A57-2F8D3C1E5B70\" is not a device id\n  hint: write the id in lower case: 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70",
    ],
  },
  {
    name: 'device in two stage groups with different subscribed_branch',
    files: {
      'hosts.yml': `all:\n  children:\n    production:\n      vars: {subscribed_branch: production}\n      hosts:\n        ${U1}:\n    canary:\n      hosts:\n        ${U1}:\n`,
      'group_vars/canary.yml': 'subscribed_branch: canary\n',
    },
    expected: [
      `hosts.yml:6:9: device ${U1} is in groups "canary" (subscribed_branch: canary, from group_vars/canary.yml) and "production" (subscribed_branch: production, from hosts.yml (group production)), which set different subscribed_branch\n  hint: keep the device in one stage group (fleetplay inventory move ${U1} --to GROUP), or set subscribed_branch in host_vars/${U1}.yml`,
    ],
  },
  {
    name: 'hosts written as a list',
    files: { 'hosts.yml': `all:\n  children:\n    production:\n      hosts:\n        - ${U1}\n` },
    expected: [
      "hosts.yml:4:7: `hosts` of group \"production\" must be a mapping, not a list\n  hint: list devices as a mapping: `hosts:` then one `<device id>:` per line (with its vars below it, or nothing)",
    ],
  },
  {
    name: 'children written as a string',
    files: { 'hosts.yml': `all:\n  children: production\n` },
    expected: [
      "hosts.yml:2:3: `children` of group \"all\" must be a mapping, not a string\n  hint: list child groups as a mapping: `children:` then one `<group>:` per line",
    ],
  },
  {
    name: 'vars written as a list',
    files: { 'hosts.yml': `all:\n  vars:\n    - subscribed_branch: production\n  hosts:\n    ${U1}:\n` },
    expected: [
      "hosts.yml:2:3: `vars` of group \"all\" must be a mapping, not a list\n  hint: write variables as a mapping: `vars:` then `name: value` lines",
    ],
  },
  {
    name: 'host vars that are not a mapping',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}: production\n` },
    expected: [
      `hosts.yml:3:5: the vars of device ${U1} must be a mapping, not a string\n  hint: write the device's vars as \`name: value\` lines indented below its id, or leave it empty`,
    ],
  },
  {
    name: 'empty inventory file',
    files: { 'hosts.yml': '# nothing here yet\n' },
    expected: [
      "hosts.yml:1:1: the inventory file is empty\n  hint: start with `all:` and list groups under `children:` and devices under `hosts:`",
    ],
  },
  {
    name: 'inventory that is a list',
    files: { 'hosts.yml': `- ${U1}\n- ${U2}\n` },
    expected: [
      "hosts.yml:1:1: the inventory must be a mapping, not a list\n  hint: a group is a mapping with `hosts:`, `children:` and `vars:`; start the file with `all:`",
    ],
  },
  {
    name: 'group_vars file that is a list',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}:\n`, 'group_vars/all.yml': '- subscribed_branch: production\n' },
    expected: [
      "group_vars/all.yml:1:1: a vars file must be a mapping of variable names to values\n  hint: write `name: value` lines at the top level, e.g. `kiosk_enabled: true`",
    ],
  },
  {
    name: 'YAML syntax error in host_vars',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}:\n`, [`host_vars/${U1}.yml`]: 'kiosk_url: [unclosed\n' },
    expected: [
      `host_vars/${U1}.yml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]\n  hint: add the closing quote or bracket that is missing`,
    ],
  },
  {
    name: 'groups that contain each other',
    files: { 'hosts.yml': `all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n` },
    expected: [
      "hosts.yml:3:5: group \"a\" is its own ancestor (a loop of children:)\n  hint: remove \"a\" from the children: of one of its descendants",
    ],
  },
  {
    name: 'missing inventory source',
    files: {},
    sources: ['nosuch/hosts.yml'],
    expected: [
      "inventory source nosuch/hosts.yml does not exist\n  hint: pass -i with an inventory file (hosts.yml) or a directory that contains one",
    ],
  },
  {
    name: 'inventory directory without a YAML file',
    files: { 'inv/hosts.ini': '[production]\n' },
    sources: ['inv'],
    expected: [
      "inv: no .yml or .yaml inventory file in this directory\n  hint: add hosts.yml with `all:` / `children:` / `hosts:` to it",
    ],
  },
];
