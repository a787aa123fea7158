/** Templar behaviour beyond the ansible differential: errors, laziness, registries, lookups, nunjucks fixes. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  lazyVars,
  rawVar,
  registerFilter,
  registerLookup,
  registerTest,
  Templar,
  UnsafeTexts,
} from '../../src/template/index.js';
import { MAX_CACHED } from '../../src/template/templar.js';
import { failure } from './helpers.js';
import { maskSecrets } from '../../src/log/secrets.js';

const templar = new Templar({ env: { FLEET_TOKEN: 'tok-123' } });

describe('ansible-core 2.14 type rules', () => {
  test.each([
    ['{{ n }}', 7],
    ['{{ n + 1 }}', '8'],
    ['{{ n > 1 }}', true],
    ['{{ flags }}', { a: true }],
    ['{{ \'{"a": [1]}\' }}', { a: [1] }],
    ['{{ text_list }}', ['a', 'b']],
    ['n={{ n }}', 'n=7'],
    ['{{ flags | to_json }}', '{"a": true}'],
    ['{{ flags | to_json | trim }}', { a: true }],
    ['{{ (flags | to_json) ~ "" }}', { a: true }],
    ['{{ bad_literal }}', '[not, python'],
    ['{{ none_var }}', null],
    // Printed bools are literal_eval'd back (True/False), text that only starts like one is not.
    ['{{ yes_text | bool }}', true],
    ['{{ n > 8 }}', false],
    ['{{ "True" }}', true],
    ['{{ "False" }}', false],
    ['{{ "Falsehood" }}', 'Falsehood'],
    ['{{ "true" }}', 'true'],
    // Trailing newlines: ansible adds back what Jinja dropped, up to the template's own count
    // (each case checked with ansible-core 2.14's Templar).
    ['{{ n }}\n\n', '7\n\n'],
    ['{{ nl_text }}\n', 'a\n'],
    ['{{ n }}\nx', '7\nx'],
  ])('%s → %j', (template, expected) => {
    const vars = {
      n: 7,
      flags: { a: true },
      text_list: "['a', 'b']",
      bad_literal: '[not, python',
      none_var: null,
      yes_text: 'yes',
      nl_text: 'a\n',
    };
    expect(templar.template(template, vars)).toEqual(expected);
  });

  test('text a string-type filter made stays text when read back alone, as NativeJinjaText does', () => {
    const t = new Templar();
    const j = t.template('{{ flags | to_json }}', { flags: { b: [1] } });
    expect(j).toBe('{"b": [1]}');
    const vars = { j, holder: { j }, same: '{"b": [1]}' };
    expect(t.template('{{ j }}', vars)).toBe(j);
    expect(t.template('{{ holder.j }}', vars)).toBe(j);
    // Joined with other output, or passed through another filter, the mark is gone: literal_eval.
    expect(t.template('{{ j }} ', vars)).toEqual({ b: [1] });
    expect(t.template('{{ j | trim }}', vars)).toEqual({ b: [1] });
    // Another Templar (another run) never saw that text: a plain string reading as a dict converts.
    expect(new Templar().template('{{ same }}', vars)).toEqual({ b: [1] });
  });

  test('lists and dicts are templated recursively, keys and other scalars are left alone', () => {
    const out = templar.template({ '{{ k }}': ['{{ n }}', 5, true, null, { deep: '{{ n * 2 }}' }] }, { n: 2, k: 'x' });
    expect(out).toEqual({ '{{ k }}': [2, 5, true, null, { deep: '4' }] });
  });

  test('evaluate returns native values; conditional follows when: rules', () => {
    expect(templar.evaluate('n * 2', { n: 21 })).toBe(42);
    expect(templar.evaluate("d.get('k', [1])", { d: {} })).toEqual([1]);
    expect(templar.conditional(['a', 'b is defined'], { a: 1, b: 0 })).toBe(true);
    expect(templar.conditional(['a', 'b'], { a: 1, b: 0 })).toBe(false);
    expect(templar.conditional(false, {})).toBe(false);
    expect(templar.conditional(null, {})).toBe(true);
    expect(templar.conditional('{{ flag }}', { flag: false })).toBe(false);
    expect(templar.conditional('x', { x: 'False' })).toBe(true); // a non-empty string is true, as in ansible
  });

  test('isTemplate spots {{, {% and {# anywhere in a value', () => {
    expect(templar.isTemplate('plain')).toBe(false);
    expect(templar.isTemplate('a {# c #}')).toBe(true);
    expect(templar.isTemplate(['x', { k: '{% if a %}{% endif %}' }])).toBe(true);
    expect(templar.isTemplate({ k: [1, 2, 'x'] })).toBe(false);
    expect(templar.isTemplate(42)).toBe(false);
  });
});

describe('nunjucks made to read Jinja2', () => {
  test.each([
    ["{{ v is version('2.10', '>=') }}", true],
    ["{{ v is not version('2.10', '>=') }}", false],
    ["{{ ('a' if false) is defined }}", false],
    ["{{ 'x' if n > 1 else 'y' }}", 'x'],
    ["{{ {'a': {'b': 1}} }}", { a: { b: 1 } }],
    ["{{ 'a1b22' | regex_replace('\\d+', '#') }}", 'a#b#'],
    ['{{ [1, 2][-1] }}', '2'],
    ['{{ (l + [3])[1:] }}', [2, 3]],
    ['{{ True and None is none }}', true],
    ["{{ '{}:{}'.format(host, 80) }}", 'dev:80'],
    ["{{ host.upper().startswith('DE') }}", true],
    ["{{ ' a b '.split() }}", ['a', 'b']],
    ["{{ d.items() | map('first') | list }}", ['k']],
    ['{% set x = n * 2 %}{{ x }}', '6'],
    ['{% for i in l %}{{ loop.index }}{% endfor %}', '12'],
    ['{% raw %}{{ not templated }}{% endraw %}', '{{ not templated }}'],
    ['{# comment #}ok', 'ok'],
    ['{{ dict(a=1) }}', { a: 1 }],
    ['{{ 7 // 2 }}-{{ 2 ** 3 }}', '3-8'],
    ['{{ 1 < n < 5 }}', true],
  ])('%s', (template, expected) => {
    expect(templar.template(template, { v: '2.14', n: 3, l: [1, 2], host: 'dev', d: { k: 1 } })).toEqual(expected);
  });
});

describe('errors name the variable, file, line and task', () => {
  const ctx = { file: 'playbooks/device.yml', line: 14, task: 'render device config', host: 'rpi-01' };

  test('undefined variable', () => {
    const f = failure(() => templar.template('url={{ kiosk_url }}', { token: 'hunter2' }, ctx));
    expect(f.error).toMatchObject({ code: 'template.undefined', file: 'playbooks/device.yml', line: 14 });
    expect(f.message).toContain("'kiosk_url' is undefined");
    expect(f.message).toContain('render device config');
    expect(f.message).toContain('rpi-01');
    expect(f.message).toMatch(/^playbooks\/device.yml:14: /);
    expect(f.error.hint).toContain("kiosk_url | default('...')");
    expect(f.message).not.toContain('hunter2'); // values of other variables never appear
  });

  test('missing attribute names the expression', () => {
    const f = failure(() => templar.template('{{ kiosk.url }}', { kiosk: { enabled: true } }, ctx));
    expect(f.message).toContain("kiosk.url ('dict object' has no attribute 'url')");
    expect(f.error.context).toMatchObject({ variable: 'kiosk.url', task: 'render device config' });
  });

  test('undefined used in a loop, a comparison or a filter is an error, never empty', () => {
    for (const t of [
      '{% for x in nope %}{% endfor %}',
      '{{ nope == 1 }}',
      '{{ nope | upper }}',
      '{{ nope ~ "x" }}',
      '{{ nope.attr }}',
    ]) {
      expect(failure(() => templar.template(t, {}, ctx)).message).toContain("'nope' is undefined");
    }
  });

  test('unknown filters and tests say so and where to look', () => {
    const f = failure(() => templar.template('{{ x | to_jsn }}', { x: 1 }, ctx));
    expect(f.error.code).toBe('template.unknown-plugin');
    expect(f.message).toContain('filter not found: to_jsn');
    expect(f.error.hint).toContain("check the spelling of 'to_jsn'");
    expect(failure(() => templar.template('{{ x is definned }}', { x: 1 }, ctx)).error.hint).toContain("'definned'");
  });

  test('syntax errors say where in the template', () => {
    const f = failure(() => templar.template('a\n{% if x %}b', { x: 1 }, ctx));
    expect(f.error.code).toBe('template.syntax');
    expect(failure(() => templar.template('abc\nde {{ 1 + }}', {}, ctx)).message).toContain(
      'unexpected token: }} (template line 2, column 11)',
    );
    expect(failure(() => templar.template('{% if x %}\n{% endfor %}', {}, ctx)).message).toContain(
      'unknown block tag: endfor (template line 2',
    );
    expect(f.message).toContain('playbooks/device.yml:14');
    expect(f.error.hint).toContain('{% if cond %}...{% endif %}');
  });
});

describe('compile cache', () => {
  test('a template is compiled once however many hosts render it; the cache stays bounded', () => {
    const t = new Templar({ cacheSize: 20 });
    for (let i = 0; i < 50; i++)
      expect(t.template('{{ host }}-{{ n + 1 }}', { host: `h${i}`, n: i })).toBe(`h${i}-${i + 1}`);
    expect(t.cachedTemplates).toBe(1);
    for (let i = 0; i < 30; i++) t.template(`{{ ${i} }}`, {});
    expect(t.cachedTemplates).toBe(20);
    expect(new Templar().cachedTemplates).toBe(0);
    expect(MAX_CACHED).toBeGreaterThan(1000);
    expect(t.template('{{ 1 }}', {})).toBe('1');
  });

  test('templates that differ only in their text share one compiled shape', () => {
    const t = new Templar();
    for (let i = 0; i < 30; i++) {
      expect(
        t.template(`https://dev-${i}.example:{{ port }}/{{ path | default('api') }}?q={'a': ${i}}`, { port: 8000 + i }),
      ).toBe(`https://dev-${i}.example:${8000 + i}/api?q={'a': ${i}}`);
      expect(t.template(`{"id": ${i}, "on": {{ on }}}\n`, { on: 'true' })).toEqual({ id: i, on: true });
    }
    expect(t.cachedTemplates).toBe(2);
    // blocks and whitespace control change the text, so such templates are compiled as they are
    expect(t.template('a {%- if true %} b{% endif %}', {})).toBe('a b');
  });
});

describe('lazyVars', () => {
  test('later layers win, values are templated on first access with the other variables', () => {
    const v = lazyVars(
      [
        { a: 1, url: 'http://{{ host }}:{{ port }}' },
        { a: 2, host: 'h', port: '{{ 8000 + 80 }}' },
      ],
      templar,
    );
    expect(v.a).toBe(2);
    expect(v.url).toBe('http://h:8080');
    expect('host' in v).toBe(true);
    expect(Object.keys(v).sort()).toEqual(['a', 'host', 'port', 'url']);
  });

  test('lazy: a broken variable nobody uses is no error; results are memoised', () => {
    const v = lazyVars([{ broken: '{{ missing }}', list: "{{ ['x'] }}" }], templar);
    expect(v.list).toEqual(['x']);
    expect(v.list).toBe(v.list);
    expect(failure(() => v.broken).message).toContain("'missing' is undefined");
  });

  test('a cycle names the chain', () => {
    const v = lazyVars([{ a: '{{ b }}', b: '{{ c | upper }}', c: 'x{{ a }}' }], templar, {
      host: 'rpi-01',
      file: 'inventory/hosts.yml',
    });
    const f = failure(() => v.a);
    expect(f.error.code).toBe('template.cycle');
    expect(f.message).toContain('a → b → c → a');
    expect(f.message).toContain('rpi-01');
  });

  test('set values are final (set_fact)', () => {
    const v = lazyVars([{ a: 1 }], templar);
    v.fact = '{{ not templated }}';
    expect(v.fact).toBe('{{ not templated }}');
  });

  test('rawVar: the value as set (winning layer, else what was read or set), never templated, plain objects as they are', () => {
    const v = lazyVars(
      [
        { url: 'http://{{ host }}', host: 'a' },
        { host: 'b', broken: '{{ missing }}' },
      ],
      templar,
    );
    expect(rawVar(v, 'url')).toBe('http://{{ host }}');
    expect(rawVar(v, 'broken')).toBe('{{ missing }}');
    expect(rawVar(v, 'nothing')).toBeUndefined();
    expect(v.url).toBe('http://b');
    expect(rawVar(v, 'url')).toBe('http://b');
    v.fact = 1;
    expect(rawVar(v, 'fact')).toBe(1);
    expect(rawVar({ url: '{{ x }}' }, 'url')).toBe('{{ x }}');
  });
});

describe('registries', () => {
  test('filters, tests and lookups registered later are seen by existing Templars, also namespaced', () => {
    registerFilter('community.general.shout', (v) => `${String(v)}!`);
    registerTest('fleet_even', (v) => typeof v === 'number' && v % 2 === 0);
    registerLookup('ansible.builtin.fleet_echo', (_ctx, terms) => terms.map((t) => `echo:${String(t)}`));
    expect(templar.template("{{ 'hi' | shout }}", {})).toBe('hi!');
    expect(templar.template('{{ 4 is fleet_even }}', {})).toBe(true);
    expect(templar.template("{{ lookup('fleet_echo', 'a', 'b') }}", {})).toBe('echo:a,echo:b');
    expect(templar.template("{{ query('fleet_echo', 'a') }}", {})).toEqual(['echo:a']);
  });
});

describe('lookups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-lookup-'));
  mkdirSync(join(dir, 'templates'));
  mkdirSync(join(dir, 'files'));
  writeFileSync(
    join(dir, 'templates', 'cfg.j2'),
    '{"url": "{{ url }}", "re": "{{ \'a1\' | regex_replace(\'\\\\d\', \'#\') }}"}\n',
  );
  writeFileSync(join(dir, 'files', 'key.pub'), 'ssh-ed25519 AAA\n\n');
  writeFileSync(join(dir, 'plain.txt'), '  spaced  ');
  const t = new Templar({ searchPaths: [dir], env: { FLEET_TOKEN: 'tok-123' } });

  test('env reads the configured environment, with default', () => {
    expect(t.template("{{ lookup('env', 'FLEET_TOKEN') }}", {})).toBe('tok-123');
    expect(t.template("{{ lookup('env', 'NOPE', default='d') }}", {})).toBe('d');
    expect(t.template("{{ lookup('env', 'FLEET_TOKEN', 'NOPE', wantlist=true) }}", {})).toEqual(['tok-123', '']);
  });

  test('file and template resolve against search paths and their files/ and templates/ dirs', () => {
    expect(t.template("{{ lookup('file', 'key.pub') }}", {})).toBe('ssh-ed25519 AAA');
    expect(t.template("{{ lookup('file', 'plain.txt', rstrip=false) }}", {})).toBe('  spaced  ');
    expect(t.template("{{ lookup('template', 'cfg.j2') }}", { url: 'https://x' })).toEqual({
      url: 'https://x',
      re: 'a#',
    });
    expect(t.template("{{ lookup('template', 'cfg.j2', template_vars={'url': 'tv'}) }}", { url: 'https://x' })).toEqual(
      { url: 'tv', re: 'a#' },
    );
    expect(t.template("{{ q('file', 'key.pub', 'plain.txt') }}", {})).toEqual(['ssh-ed25519 AAA', '  spaced']);
  });

  test('secret-looking env values are registered for masking; parse errors never quote the value', () => {
    const value = t.template("{{ lookup('env', 'FLEET_TOKEN') }}", {});
    expect(maskSecrets(`token is ${String(value)}`)).toBe('token is ********');
    const secret = { s: 'hunter2-not-json' };
    const json = failure(() => t.template('{{ s | from_json }}', secret));
    expect(json.message).toContain('from_json: the value is not valid JSON');
    expect(json.message).not.toContain('hunter2');
    const yaml = failure(() => t.template('{{ s | from_yaml }}', { s: 'a: b: hunter2' }));
    expect(yaml.message).toContain('from_yaml: the value is not valid YAML (line 1');
    expect(yaml.message).not.toContain('hunter2');
  });

  test('missing files and unknown lookups are clear errors', () => {
    expect(failure(() => t.template("{{ lookup('file', 'nope.txt') }}", {}, { task: 'read key' })).message).toMatch(
      /read key.*could not locate file in lookup: nope.txt \(searched /,
    );
    expect(failure(() => t.template("{{ lookup('nope', 'x') }}", {})).message).toContain(
      "lookup plugin 'nope' not found",
    );
  });
});

describe('unsafe data is one run’s', () => {
  test("a device's text marked by one run is rendered by no template of it, and still by another run's", () => {
    const text = "{{ lookup('env', 'FLEET_TOKEN') }}";
    const run = new Templar({ env: { FLEET_TOKEN: 'tok-123' } });
    const other = new Templar({ env: { FLEET_TOKEN: 'tok-456' }, unsafe: new UnsafeTexts() });
    const fact = run.unsafe.mark({ attribute: text });
    expect(run.template('{{ fact.attribute }}', { fact })).toBe(text);
    expect(run.template(text, {})).toBe(text);
    // The other run never saw that device data: the same text written in its playbook renders.
    expect(other.template(text, {})).toBe('tok-456');
    expect(other.unsafe.has(text)).toBe(false);
  });
});

// The optional-argument idioms are answered without a render when their variable does not exist;
// each answer must be what a render gives: the same template with parentheses (not recognised as
// the idiom) renders.
describe('omit idioms and `is defined` without a render', () => {
  const OMIT = '__omit_place_holder__test';
  const t = new Templar();
  const base = { omit: OMIT, a: 'A', groups_list: ['g1'], maybe_null: null };
  const views = (extra: Record<string, unknown> = {}) => [lazyVars([{ ...base, ...extra }], t), { ...base, ...extra }];

  test.each([
    ['{{ absent | default(omit) }}', '{{ (absent) | default(omit) }}', {}, OMIT],
    ['{{ absent | d(omit) }}', '{{ (absent) | d(omit) }}', {}, OMIT],
    ['{{ present | default(omit) }}', '{{ (present) | default(omit) }}', { present: 'p' }, 'p'],
    [
      '{{ groups_list if absent is defined else omit }}',
      '{{ groups_list if (absent is defined) else omit }}',
      {},
      OMIT,
    ],
    [
      '{{ groups_list if present is defined else omit }}',
      '{{ groups_list if (present is defined) else omit }}',
      { present: 1 },
      ['g1'],
    ],
    [
      '{{ a ~ "-" if present is defined else omit }}',
      '{{ a ~ "-" if (present is defined) else omit }}',
      { present: 1 },
      'A-',
    ],
    // An expression holding `if` is not taken for the idiom (it could parse otherwise): rendered.
    [
      '{{ (a if present else a) if absent is defined else omit }}',
      '{{ (a if present else a) if (absent is defined) else omit }}',
      { present: true },
      OMIT,
    ],
    // A global of that name (lookup) is no absent variable.
    ['{{ "x" if lookup is defined else omit }}', '{{ "x" if (lookup is defined) else omit }}', {}, 'x'],
  ])('%s', (source, rendered, extra, expected) => {
    for (const vars of views(extra)) {
      expect(t.template(source, vars)).toEqual(expected);
      expect(t.template(source, vars)).toEqual(t.template(rendered, vars));
    }
  });

  test.each([
    // Without an omit variable, or with a value of its own (even one that renders undefined), it renders.
    ['{{ absent | default(omit) }}', '{{ (absent) | default(omit) }}', { omit: undefined }],
    ['{{ maybe_null | default(omit) }}', '{{ (maybe_null) | default(omit) }}', {}],
    ['{{ broken | default(omit) }}', '{{ (broken) | default(omit) }}', { broken: '{{ nothing_here }}' }],
  ])('%s renders as any template', (source, rendered, extra) => {
    const vars = lazyVars(
      [Object.fromEntries(Object.entries({ ...base, ...extra }).filter(([, v]) => v !== undefined))],
      t,
    );
    const outcome = (text: string) => {
      try {
        return { value: t.template(text, vars) };
      } catch (e) {
        return { error: (e as Error).message.replace(/, while templating .*/, '') };
      }
    };
    expect(outcome(source)).toEqual(outcome(rendered));
  });

  test.each([
    ['absent is defined', '(absent is defined)', false],
    ['absent is not defined', '(absent is not defined)', true],
    ['a is defined', '(a is defined)', true],
    ['a is not defined', '(a is not defined)', false],
    ['maybe_null is defined', '(maybe_null is defined)', true],
    ['lookup is defined', '(lookup is defined)', true],
  ])('when: %s', (cond, rendered, expected) => {
    for (const vars of views()) {
      expect(t.conditional(cond, vars)).toBe(expected);
      expect(t.conditional(rendered, vars)).toBe(expected);
    }
  });
});
