/**
 * The keyword table (src/engine/keyword-table.ts) drives the loader and the inheritance: every
 * keyword is accepted exactly on the objects the table names and refused elsewhere with the
 * unknown-keyword error at its line; a task's effective value follows the keyword's rule through
 * blocks, role entries, static imports and the play; and docs/playbooks.md lists the table.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { FleetError } from '../../src/errors/index.js';
import { accepts, inheritedKeywords, KEYWORDS, keywordNames, type Obj } from '../../src/engine/keyword-table.js';
import { keywordsMarkdown } from '../../src/engine/keyword-doc.js';
import { effective } from '../../src/engine/keywords.js';
import { loadPlaybook } from '../../src/engine/loader.js';
import type { Node, Playbook, TaskNode } from '../../src/engine/model.js';
import { H1, H2, H3, play, repo } from './helpers.js';

const OBJECTS: Obj[] = ['play', 'block', 'task', 'role'];

/** A value of the keyword's schema, so that only where it is written decides acceptance. */
function sample(name: keyof typeof KEYWORDS): unknown {
  // Booleans and numbers are checked at load (keyword-table.ts): true and 1 are their samples.
  const candidates = ['localhost', 'linear', 'inventory', true, 1, [], {}];
  const v = candidates.find((c) => KEYWORDS[name].schema.safeParse(c).success);
  if (v === undefined) throw new Error(`no sample value for ${name}`);
  return v;
}

/** A playbook with `name: value` written on one object of kind `on` (line 3 of site.yml or of the role entry). */
function playbookWith(on: Obj, name: string, value: unknown): unknown[] {
  // A role entry names its role `r`, whichever of `role:`/`name:` is under test.
  const kw = { [name]: on === 'role' && (name === 'role' || name === 'name') ? 'r' : value };
  if (on === 'play') return [{ hosts: 'all', ...kw }];
  if (on === 'block') return [{ hosts: 'all', tasks: [{ block: [{ debug: { msg: 'x' } }], ...kw }] }];
  if (on === 'task') return [{ hosts: 'all', tasks: [{ debug: { msg: 'x' }, ...kw }] }];
  return [{ hosts: 'all', roles: [{ role: 'r', ...kw }] }];
}

function load(doc: unknown[], files: Record<string, string> = {}) {
  const dir = repo({ 'site.yml': stringify(doc), 'roles/r/tasks/main.yml': '- debug: msg=in-role\n', ...files });
  return { r: loadPlaybook(join(dir, 'site.yml')), text: stringify(doc) };
}

/** The line of the last `name:` key: the one written on the object under test. */
const lineOf = (text: string, name: string) =>
  text
    .split('\n')
    .map((l, i) => (new RegExp(`^[\\s-]*${name}:`).test(l) ? i + 1 : 0))
    .reduce((a, b) => Math.max(a, b));

describe('each keyword is accepted exactly where the table says', () => {
  for (const name of keywordNames) {
    for (const on of OBJECTS) {
      // `block:` is what makes a task a block; a role entry's other keys are its parameters.
      if (name === 'block' && on === 'task') continue;
      const ok = accepts(on, name);
      test(`${name} on a ${on}: ${ok ? 'accepted' : 'refused'}`, () => {
        const { r, text } = load(playbookWith(on, name, sample(name)));
        if (on === 'role') {
          if (!r.ok) throw new Error(r.error.map((e) => e.message).join('; '));
          const params = r.value.plays[0].roles.find((x) => x.name === 'r')?.params ?? {};
          expect(name in params).toBe(!ok && name !== 'role' && name !== 'name');
          return;
        }
        if (ok && name === 'vars_prompt') {
          // A play keyword of ansible that fleetplay refuses with its own message (loader.ts): runs are unattended.
          expect(r.ok ? [] : r.error.map((e) => e.code)).toEqual(['playbook.vars-prompt']);
          return;
        }
        if (ok) {
          expect(r.ok ? [] : r.error.map((e) => e.message)).toEqual([]);
          return;
        }
        const e: FleetError | undefined = r.ok ? undefined : r.error[0];
        const message =
          on === 'task' ? `task has unknown module or keyword "${name}"` : `unknown ${on} keyword "${name}"`;
        expect({ message: e?.message, line: e?.line }).toEqual({ message, line: lineOf(text, name) });
        expect(e?.hint).toMatch(on === 'task' ? /names exactly one module/ : /docs\/playbooks\.md/);
      });
    }
  }
});

/** The tasks of a loaded play, blocks opened, in order. */
function tasks(pb: Playbook): TaskNode[] {
  const walk = (ns: Node[]): TaskNode[] =>
    ns.flatMap((n) => (n.kind === 'task' ? [n] : [...walk(n.block), ...walk(n.rescue)]));
  return pb.plays.flatMap((p) => walk([...p.pre, ...p.main, ...p.post]));
}

describe("a task's effective value follows the keyword's rule", () => {
  const inherited = inheritedKeywords.filter((n) => KEYWORDS[n].rule === 'inherit');
  const extended = inheritedKeywords.filter((n) => KEYWORDS[n].rule === 'extend');

  test('inherit: the nearest value wins — task, block, import, role entry, play', () => {
    for (const name of inherited) {
      const s = sample(name);
      // A task's own value, other than the sample (delegate_to takes only the controller's names,
      // a boolean keyword only booleans).
      const own = name === 'delegate_to' ? '127.0.0.1' : s === true ? false : 'own';
      const play = accepts('play', name) ? { [name]: s } : {};
      const { r } = load(
        [
          {
            hosts: 'all',
            ...play,
            roles: accepts('role', name) ? [{ role: 'r', [name]: s }] : [],
            tasks: [
              { block: [{ debug: { msg: 'own' }, [name]: own }, { debug: { msg: 'from block' } }], [name]: s },
              { import_tasks: 'more.yml', [name]: s },
              { debug: { msg: 'from play' } },
            ],
          },
        ],
        { 'more.yml': '- debug: msg=imported\n' },
      );
      if (!r.ok) throw new Error(`${name}: ${r.error.map((e) => e.message).join('; ')}`);
      const byMsg = Object.fromEntries(tasks(r.value).map((t) => [String(t.args.msg), effective(t, name)]));
      expect({ name, ...byMsg }).toEqual({
        name,
        'in-role': accepts('role', name) ? s : undefined,
        own,
        'from block': s,
        imported: s,
        'from play': accepts('play', name) ? s : undefined,
      });
    }
  });

  test('extend: every level adds to the list, the outer ones first', () => {
    for (const name of extended) {
      const { r } = load([
        {
          hosts: 'all',
          ...(accepts('play', name) ? { [name]: 'p' } : {}),
          tasks: [{ block: [{ block: [{ debug: { msg: 't' }, [name]: 't' }], [name]: 'b2' }], [name]: 'b1' }],
        },
      ]);
      if (!r.ok) throw new Error(`${name}: ${r.error.map((e) => e.message).join('; ')}`);
      expect({ name, value: effective(tasks(r.value)[0], name) }).toEqual({
        name,
        value: [...(accepts('play', name) ? ['p'] : []), 'b1', 'b2', 't'],
      });
    }
  });

  test('merge and own: vars merge with the inner keys winning; own keywords stay where written', () => {
    const { r } = load([
      {
        hosts: 'all',
        tasks: [{ block: [{ debug: { msg: 't' }, vars: { a: 'task' } }], vars: { a: 'block', b: 'block' }, name: 'B' }],
      },
    ]);
    if (!r.ok) throw new Error(r.error.map((e) => e.message).join('; '));
    const t = tasks(r.value)[0];
    expect(effective(t, 'vars')).toEqual({ a: 'task', b: 'block' });
    expect(t.name).toBe('');
    const own = keywordNames.filter((n) => KEYWORDS[n].rule === 'own');
    expect(own.filter((n) => n in t.inherit)).toEqual([]);
  });
});

describe('inheritance in real runs', () => {
  test('inherit: no_log of a role entry censors its tasks, a task of its own is shown', async () => {
    const r = await play(`- hosts: all\n  roles:\n    - role: r\n      no_log: true\n`, {
      files: {
        'roles/r/tasks/main.yml': `- debug: msg="secret {{ num }}"\n- debug: msg="open {{ num }}"\n  no_log: false\n`,
      },
    });
    expect(r.exitCode).toBe(0);
    expect(r.text).not.toMatch(/secret/);
    expect(r.text).toMatch(/"msg": "open 1"/);
  });

  test('inherit: any_errors_fatal on a block ends the play for every host', async () => {
    const r = await play(
      `- hosts: all\n  tasks:\n    - block:\n        - fail: msg=boom\n          when: num == 2\n      any_errors_fatal: true\n    - debug: msg=after\n`,
    );
    expect(r.exitCode).toBe(2);
    expect(r.text).toMatch(/NO MORE HOSTS LEFT/);
    expect(r.text).not.toMatch(/"msg": "after"/);
  });

  test('extend: when of a block is checked before the task’s own (it guards an undefined variable)', async () => {
    const r = await play(
      `- hosts: all\n  tasks:\n    - set_fact: {limit: 5}\n      when: num > 1\n    - block:\n        - debug: msg=big\n          when: limit > 1\n      when: limit is defined\n`,
    );
    expect(r.exitCode).toBe(0);
    for (const h of [H2, H3]) expect(r.text).toContain(`ok: [${h}] => {\n    "msg": "big"\n}`);
    expect(r.text).not.toContain(`ok: [${H1}]`);
  });

  test('extend: environment of play, block and task reach the command, inner names winning', async () => {
    const r = await play(
      `- hosts: all\n  environment: {A: play, B: play, C: play}\n  tasks:\n    - block:\n        - shell: echo "$A-$B-$C"\n          environment: {C: task}\n          register: o\n        - debug: var=o.stdout\n      environment: {B: block, C: block}\n`,
    );
    expect(r.exitCode).toBe(0);
    expect(r.text).toContain('"o.stdout": "play-block-task"');
  });

  test('extend: tags of a block and its task both select it; tags of include_tasks do not', async () => {
    const r = await play(
      `- hosts: all\n  tasks:\n    - block:\n        - debug: msg=tagged-task\n          tags: inner\n      tags: outer\n    - include_tasks: inc.yml\n      tags: outer\n`,
      { tags: ['outer'], files: { 'inc.yml': '- debug: msg=included\n' } },
    );
    expect(r.exitCode).toBe(0);
    expect(r.text).toMatch(/"msg": "tagged-task"/);
    expect(r.text).toMatch(/included: inc\.yml/);
    expect(r.text).not.toMatch(/"msg": "included"/);
  });

  test('merge: vars of a block under the task’s own', async () => {
    const r = await play(
      `- hosts: all\n  tasks:\n    - block:\n        - debug: msg="{{ a }}-{{ b }}"\n          vars: {a: task}\n      vars: {a: block, b: block}\n`,
    );
    expect(r.text).toMatch(/"msg": "task-block"/);
  });
});

test('docs/playbooks.md lists exactly the table (regenerate with `node scripts/keywords-doc.mjs`)', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const doc = readFileSync(join(root, 'docs', 'playbooks.md'), 'utf8');
  const section = /<!-- keywords:start -->\n([\s\S]*?)<!-- keywords:end -->/.exec(doc)?.[1];
  expect(section).toBe(keywordsMarkdown());
});
