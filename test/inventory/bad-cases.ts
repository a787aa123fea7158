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
    name: 'readable host name without mender_device_id',
    files: { 'hosts.yml': `all:\n  children:\n    kiosks:\n      hosts:\n        kiosk-central-station:\n` },
    expected: [
      'hosts.yml:5:9: "kiosk-central-station" is not a device id, and has no `mender_device_id`\n  hint: add `mender_device_id: <id>` for it (under the device\'s line, or in host_vars/kiosk-central-station.yml), with the device id from the Mender UI (a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70)',
    ],
  },
  {
    name: 'mender_device_id in host_vars that is not an id',
    files: {
      'hosts.yml': `all:\n  hosts:\n    kiosk-next:\n`,
      'host_vars/kiosk-next.yml': '# ⑦\nkiosk_enabled: true\nmender_device_id: 854df144-28aa\n',
    },
    expected: [
      'host_vars/kiosk-next.yml:3:1: mender_device_id of "kiosk-next" is not a device id: "854df144-28aa"\n  hint: copy the device id from the Mender UI: a UUID such as 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70 (quoted if YAML could read it as a number)',
    ],
  },
  {
    name: 'mender_device_id that is a template',
    files: { 'hosts.yml': `all:\n  hosts:\n    kiosk-next:\n      mender_device_id: "{{ kiosk_id }}"\n` },
    expected: [
      'hosts.yml:4:7: mender_device_id of "kiosk-next" is a template: "{{ kiosk_id }}"\n  hint: write the id itself: mender_device_id is read when the inventory loads, before any template is rendered',
    ],
  },
  {
    name: 'mender_device_id in upper case',
    files: { 'hosts.yml': `all:\n  hosts:\n    kiosk-next:\n      mender_device_id: 0B4F2C9E-6D1A-4E43-9A57-2F8D3C1E5B70\n` },
    expected: [
      'hosts.yml:4:7: mender_device_id of "kiosk-next" is not a device id: "0B4F2C9E-6D1A-4E43-9A57-2F8D3C1E5B70"\n  hint: write the id in lower case: 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70',
    ],
  },
  {
    name: 'two hosts with the same mender_device_id',
    files: {
      'hosts.yml': `all:\n  hosts:\n    kiosk-next:\n      mender_device_id: ${U1}\n    kiosk-old:\n    ${U2}:\n`,
      'host_vars/kiosk-old.yml': `mender_device_id: ${U1}\n`,
    },
    expected: [
      `host_vars/kiosk-old.yml:1:1: "kiosk-next" (hosts.yml:4) and "kiosk-old" are the same device ${U1}: its deployments would be scheduled twice\n  hint: keep one host for the device: remove "kiosk-old" or give it its own mender_device_id`,
    ],
  },
  {
    name: 'a named host on the device of a host named by its id',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}:\n    kiosk-next:\n      mender_device_id: ${U1}\n` },
    expected: [
      `hosts.yml:5:7: "${U1}" (hosts.yml:3) and "kiosk-next" are the same device ${U1}: its deployments would be scheduled twice\n  hint: keep one host for the device: remove "kiosk-next" or give it its own mender_device_id`,
    ],
  },
  {
    name: 'mender_device_id set for a group',
    files: { 'hosts.yml': `all:\n  hosts:\n    ${U1}:\n`, 'group_vars/all.yml': `subscribed_branch: main\nmender_device_id: ${U2}\n` },
    expected: [
      'group_vars/all.yml:2:1: mender_device_id is set for group "all": it names one device\n  hint: set mender_device_id on the device\'s own line or in host_vars/<device>.yml',
    ],
  },
  {
    name: 'device id in upper case',
    files: { 'hosts.yml': `all:\n  hosts:\n    0B4F2C9E-6D1A-4E43-9A57-2F8D3C1E5B70:\n` },
    expected: [
      "hosts.yml:3:5: \"0B4F2C9E-6D1A-4E43-9A57-2F8D3C1E5B70\" is not a device id, and has no `mender_device_id`\n  hint: write the id in lower case: 0b4f2c9e-6d1a-4e43-9a57-2f8d3c1e5b70",
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
