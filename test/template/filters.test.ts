/** Every filter issue 3 lists, by example; each also under its ansible.builtin./community.general. name. */
import { Templar } from '../../src/template/index.js';
import { failure } from './helpers.js';

const templar = new Templar();
const vars = {
  d: { a: 1, b: { x: 1, y: [1] } },
  l: [3, 1, 2],
  users: [
    { name: 'ann', admin: true, groups: ['a'] },
    { name: 'bob', admin: false, groups: [] },
  ],
  word: 'Fleet Play',
  secret: 'ZmxlZXQ=',
};

/** [filter under test, template, expected value] */
const CASES: [string, string, unknown][] = [
  ['default', "{{ nope | default('x') }}", 'x'],
  ['default', "{{ '' | default('x', true) }}", 'x'],
  ['default', "{{ 0 | default('x', boolean=true) }}", 'x'],
  ['default', "{{ d.a | default('x') }}", '1'],
  ['d', "{{ nope | d(['a']) }}", ['a']],
  ['mandatory', '{{ d.a | mandatory }}', '1'],
  ['to_json', '{{ d | to_json }}', '{"a": 1, "b": {"x": 1, "y": [1]}}'],
  ['to_json', "{{ {'b': 1, 'a': 2} | to_json(sort_keys=true) }}", '{"a": 2, "b": 1}'],
  ['to_json', '{{ [1, 2] | to_json(indent=1) }}', '[\n 1,\n 2\n]'],
  ['to_nice_json', "{{ {'b': [], 'a': {}} | to_nice_json }}", '{\n    "a": {},\n    "b": []\n}'],
  ['from_json', '{{ \'{"k": [true, null]}\' | from_json }}', { k: [true, null] }],
  ['to_yaml', "{{ {'b': [1, 2], 'a': 'x'} | to_yaml }}", 'a: x\nb: [1, 2]\n'],
  ['to_yaml', "{{ {'b': 1, 'a': 'x'} | to_yaml }}", '{a: x, b: 1}\n'],
  [
    'to_yaml',
    '{{ users | to_yaml }}',
    '- admin: true\n  groups: [a]\n  name: ann\n- admin: false\n  groups: []\n  name: bob\n',
  ],
  ['from_yaml', "{{ 'a: on\nb: [1, two]' | from_yaml }}", { a: true, b: [1, 'two'] }],
  ['bool', "{{ ['Yes' | bool, 'no' | bool, '1' | bool, 0 | bool, true | bool] }}", [true, false, true, false, true]],
  [
    'int',
    "{{ ['7' | int, ' 8 ' | int, '9.9' | int, 'x' | int, 'x' | int(default=5), '0b101' | int(base=2), true | int] }}",
    [7, 8, 9, 0, 5, 5, 1],
  ],
  ['float', "{{ ['1.5' | float, 'x' | float(2.5), 2 | float] }}", [1.5, 2.5, 2]],
  ['string', '{{ 42 | string }}', '42'],
  ['string', '{{ d | string }}', "{'a': 1, 'b': {'x': 1, 'y': [1]}}"],
  ['lower', '{{ word | lower }}', 'fleet play'],
  ['upper', '{{ word | upper }}', 'FLEET PLAY'],
  ['trim', "{{ '  x  ' | trim }}", 'x'],
  ['trim', "{{ '--x--' | trim('-') }}", 'x'],
  ['replace', "{{ 'a.b.c' | replace('.', '/') }}", 'a/b/c'],
  ['replace', "{{ 'a.b.c' | replace('.', '/', 1) }}", 'a/b.c'],
  ['regex_replace', "{{ 'host-01' | regex_replace('(\\w+)-(\\d+)', '\\2-\\1') }}", '01-host'],
  ['regex_replace', "{{ 'ABC' | regex_replace('b', 'x', ignorecase=true) }}", 'AxC'],
  ['regex_replace', "{{ 'cost: 5' | regex_replace('\\d', '$') }}", 'cost: $'],
  ['regex_search', "{{ 'v1.2.3' | regex_search('\\d+\\.\\d+') }}", '1.2'],
  ['regex_search', "{{ 'k=v' | regex_search('(?P<key>\\w)=(?P<val>\\w)', '\\g<val>', '\\g<key>') }}", ['v', 'k']],
  ['regex_search', "{{ 'abc' | regex_search('z') is none }}", true],
  ['first', '{{ l | first }}', '3'],
  ['last', '{{ l | last }}', '2'],
  ['length', '{{ [l | length, d | length, word | length] }}', [3, 2, 10]],
  ['join', "{{ l | join(', ') }}", '3, 1, 2'],
  ['join', "{{ users | join(',', attribute='name') }}", 'ann,bob'],
  ['split', "{{ 'a,b,,c' | split(',') }}", ['a', 'b', '', 'c']],
  ['split', "{{ ' a  b ' | split }}", ['a', 'b']],
  ['unique', '{{ [1, 2, 1, 3, 2] | unique }}', [1, 2, 3]],
  ['sort', '{{ l | sort }}', [1, 2, 3]],
  ['sort', "{{ ['b', 'C', 'a'] | sort }}", ['a', 'b', 'C']],
  ['sort', "{{ ['b', 'C', 'a'] | sort(case_sensitive=true) }}", ['C', 'a', 'b']],
  ['sort', "{{ users | sort(attribute='name', reverse=true) | map(attribute='name') }}", ['bob', 'ann']],
  ['map', "{{ users | map(attribute='name') | map('upper') | list }}", ['ANN', 'BOB']],
  ['map', "{{ users | map(attribute='missing', default='-') | list }}", ['-', '-']],
  ['map', "{{ ['a', 'b'] | map('regex_replace', '^', 'x-') | list }}", ['x-a', 'x-b']],
  ['select', "{{ l | select('odd') | list }}", [3, 1]],
  ['select', "{{ ['a', '', none, 'b'] | select | list }}", ['a', 'b']],
  ['reject', "{{ l | reject('==', 1) | list }}", [3, 2]],
  ['selectattr', "{{ users | selectattr('admin') | map(attribute='name') | list }}", ['ann']],
  ['selectattr', "{{ users | selectattr('name', 'match', 'b') | map(attribute='name') | list }}", ['bob']],
  ['rejectattr', "{{ users | rejectattr('groups') | map(attribute='name') | list }}", ['bob']],
  ['combine', "{{ d | combine({'b': {'y': [2]}}, recursive=true) }}", { a: 1, b: { x: 1, y: [2] } }],
  [
    'combine',
    "{{ d | combine({'b': {'y': [2]}}, recursive=true, list_merge='append') }}",
    { a: 1, b: { x: 1, y: [1, 2] } },
  ],
  ['combine', "{{ [{'a': 1}, {'a': 2, 'c': 3}] | combine }}", { a: 2, c: 3 }],
  ['dict2items', "{{ {'k': 'v'} | dict2items(key_name='n', value_name='v') }}", [{ n: 'k', v: 'v' }]],
  ['items2dict', "{{ [{'n': 'k', 'v': 1}] | items2dict(key_name='n', value_name='v') }}", { k: 1 }],
  ['zip', "{{ ['a', 'b'] | zip([1, 2], [true]) | list }}", [['a', 1, true]]],
  ['flatten', '{{ [1, [2, [3, [4]]]] | flatten(2) }}', [1, 2, 3, [4]]],
  ['flatten', "{{ [1, none, 'null', [none]] | flatten(skip_nulls=false) }}", [1, null, 'null', null]],
  ['b64encode', "{{ 'fleet' | b64encode }}", 'ZmxlZXQ='],
  ['b64decode', '{{ secret | b64decode }}', 'fleet'],
  ['hash', "{{ 'fleet' | hash }}", 'f35f940f055fcd1badde7e5fecb2531e079eaa52'],
  ['hash', "{{ 'fleet' | hash('md5') }}", 'ddfbb7829b95e229ab60e0fb38c5df06'],
  ['checksum', "{{ 'fleet' | checksum }}", 'f35f940f055fcd1badde7e5fecb2531e079eaa52'],
  [
    'to_uuid',
    "{{ 'www.example.com' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8') }}",
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  ],
  ['random', "{{ ['only'] | random }}", 'only'],
  ['random', "{{ 60 | random(seed='dev-1') == 60 | random(seed='dev-1') }}", true],
  [
    'ternary',
    "{{ [1 | ternary('y', 'n'), '' | ternary('y', 'n'), none | ternary('y', 'n', 'null')] }}",
    ['y', 'n', 'null'],
  ],
  ['json_query', "{{ users | json_query('[?admin].name') }}", ['ann']],
  ['json_query', "{{ d | json_query('b.y[0]') }}", '1'],
];

test('every filter issue 3 lists has examples here', () => {
  const listed =
    'default d mandatory to_json to_nice_json from_json to_yaml from_yaml bool int float string lower upper trim replace regex_replace regex_search first last length join split unique sort map select reject selectattr rejectattr combine dict2items items2dict zip flatten b64encode b64decode hash checksum to_uuid random ternary json_query';
  const covered = new Set(CASES.map(([f]) => f));
  expect(listed.split(' ').filter((f) => !covered.has(f))).toEqual([]);
});

test.each(CASES)('%s: %s', (_f, template, expected) => {
  expect(templar.template(template, vars)).toEqual(expected);
});

test.each(CASES.map(([f, t, e]) => [f, t, e] as const))(
  '%s also as ansible.builtin.%s and community.general.%s',
  (f, template, expected) => {
    const rename = (ns: string) => template.replace(new RegExp(`\\|\\s*${f}\\b`, 'g'), `| ${ns}${f}`);
    expect(rename('ansible.builtin.')).not.toBe(template);
    expect(templar.template(rename('ansible.builtin.'), vars)).toEqual(expected);
    expect(templar.template(rename('community.general.'), vars)).toEqual(expected);
  },
);

test('random with a seed is stable per seed and stays in range', () => {
  const minutes = ['dev-1', 'dev-2', 'dev-3'].map((h) => templar.template(`{{ 60 | random(seed='${h}') }}`, {}));
  for (const m of minutes) expect(Number(m)).toBeGreaterThanOrEqual(0);
  for (const m of minutes) expect(Number(m)).toBeLessThan(60);
  expect(templar.template("{{ 60 | random(seed='dev-1') }}", {})).toBe(minutes[0]);
  expect(templar.template('{{ 10 | random(start=5, step=5) }}', {})).toBe('5');
});

test('filter misuse is a clear error naming the task', () => {
  const ctx = { file: 'roles/device/tasks/main.yml', line: 12, task: 'render config' };
  expect(failure(() => templar.template('{{ l | dict2items }}', vars, ctx)).message).toMatch(
    /roles\/device\/tasks\/main.yml:12: .*render config.*dict2items requires a dictionary/,
  );
  expect(failure(() => templar.template("{{ d | combine('x') }}", vars, ctx)).message).toContain(
    'combine: argument 2 is a string, not a dictionary',
  );
  expect(failure(() => templar.template('{{ d | to_json(sortkeys=true) }}', vars, ctx)).message).toContain(
    "to_json() got an unexpected keyword argument 'sortkeys'",
  );
  expect(failure(() => templar.template('{{ l | no_such_filter }}', vars, ctx)).message).toContain('no_such_filter');
  expect(
    failure(() => templar.template("{{ nope | mandatory('set kiosk_url in group_vars') }}", vars, ctx)).message,
  ).toContain('set kiosk_url in group_vars');
});
