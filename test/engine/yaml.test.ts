/** The playbook YAML reader: positions travel with the values, and each load reads files afresh. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook } from '../../src/engine/loader.js';
import { keyLine, parseYaml, posOf } from '../../src/engine/yaml.js';

describe('playbook YAML reader', () => {
  it('keeps the line of mappings, sequences and keys without showing them as data', () => {
    const r = parseYaml('- name: one\n  debug:\n    msg: hi\n- name: two\n', 'p.yml');
    if (!r.ok) throw new Error(r.error.message);
    const [first, second] = r.value as Record<string, unknown>[];
    expect(posOf(r.value)).toEqual({ file: 'p.yml', line: 1, column: 1 });
    expect(posOf(second)?.line).toBe(4);
    expect(keyLine(first, 'debug')).toBe(2);
    expect(Object.keys(first)).toEqual(['name', 'debug']);
    expect(JSON.stringify(r.value)).toBe('[{"name":"one","debug":{"msg":"hi"}},{"name":"two"}]');
    expect(posOf({ ...first })).toBeUndefined();
  });

  it('reads a playbook edited between two loads afresh (no process-wide cache)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplay-yaml-'));
    try {
      const file = join(dir, 'site.yml');
      const write = (name: string) => writeFileSync(file, `- name: ${name}\n  hosts: all\n  tasks: []\n`);
      write('first');
      const a = loadPlaybook(file);
      write('second');
      const b = loadPlaybook(file);
      if (!a.ok || !b.ok) throw new Error('load failed');
      expect([a.value.plays[0].name, b.value.plays[0].name]).toEqual(['first', 'second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
