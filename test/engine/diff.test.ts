/**
 * The --diff renderer: difflib.ts must give exactly Python's difflib.unified_diff (recorded in
 * test/fixtures/difflib/cases.json with the command that made it), and diff text goes through the
 * buffered printer, so registered secrets are masked and big diffs are written in chunks.
 * (ansible's console format as a whole is compared in output.test.ts: diff_output.stdout.txt.)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { diffToShow, pyPrettyJson, renderDiff } from '../../src/engine/diff.js';
import { splitLines, unifiedDiff } from '../../src/engine/difflib.js';
import { Printer } from '../../src/engine/output.js';
import { clearSecretsForTests, registerSecret } from '../../src/log/secrets.js';

const recorded = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'difflib', 'cases.json'), 'utf8'),
) as {
  command: string;
  cases: { a: string[]; b: string[]; n: number; diff: string[] }[];
};

describe('difflib.unified_diff port', () => {
  test('the fixture holds long cases (autojunk) and real differences', () => {
    expect(recorded.cases.filter((c) => c.b.length >= 200).length).toBeGreaterThan(0);
    expect(recorded.cases.filter((c) => c.diff.length > 0).length).toBeGreaterThan(20);
  });

  test.each(recorded.cases.map((c, i) => [i, c] as const))('case %i is what Python printed', (_i, c) => {
    expect(unifiedDiff(c.a, c.b, 'before', 'after', c.n)).toEqual(c.diff);
  });

  test('splitlines keeps line ends and breaks where Python does', () => {
    expect(splitLines('a\r\nb\rc\vd\u2028e')).toEqual(['a\r\n', 'b\r', 'c\v', 'd\u2028', 'e']);
    expect(splitLines('')).toEqual([]);
  });
});

describe('diff rendering', () => {
  test('mappings are sorted pretty JSON with non-ASCII escaped, as json.dumps writes them', () => {
    expect(pyPrettyJson({ b: 'Zürich', a: [1, { d: 1, c: 2 }] })).toBe(
      '{\n    "a": [\n        1,\n        {\n            "c": 2,\n            "d": 1\n        }\n    ],\n    "b": "Z\\u00fcrich"\n}',
    );
  });

  test('only a changed result with a non-empty diff shows it', () => {
    const diff = { before: 'a\n', after: 'b\n' };
    expect(diffToShow({ changed: false, diff })).toEqual([]);
    expect(diffToShow({ changed: true, diff: [] })).toEqual([]);
    expect(
      diffToShow({ changed: true, diff })
        .map((l) => l.text)
        .join(''),
    ).toBe('--- before\n+++ after\n@@ -1 +1 @@\n-a\n+b\n\n');
  });

  test('skipped-diff notes are kept', () => {
    expect(renderDiff({ dst_binary: 1 }).map((l) => l.text)).toEqual([
      'diff skipped: destination file appears to be binary\n',
    ]);
  });
});

describe('diff text in the printer', () => {
  afterEach(() => clearSecretsForTests());

  const printer = (color = false) => {
    const chunks: string[] = [];
    const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
    return { p: new Printer({ stream, color, verbosity: 0 }), chunks };
  };

  test('registered secrets are masked and a large diff is written in 64 KiB chunks, not at once', () => {
    registerSecret('s3cr3t-value-42');
    const { p, chunks } = printer();
    const before = Array.from({ length: 3000 }, (_, i) => `line ${i} s3cr3t-value-42\n`).join('');
    p.diff(renderDiff({ before, after: before.replace('line 7 ', 'line seven ') + 'new line\n' }));
    p.diff(renderDiff({ before: '', after: before }));
    expect(chunks.length).toBeGreaterThan(0);
    p.flush();
    const text = chunks.join('');
    expect(chunks.length).toBeGreaterThan(1);
    expect(text).not.toContain('s3cr3t-value-42');
    expect(text).toContain('-line 7 ********\n+line seven ********\n');
    expect(text).toContain('+new line\n');
  });

  test('colours the lines as ansible does (+ green, - red, @@ cyan, headers included) only when colour is on', () => {
    const lines = renderDiff({ before: 'a\n', after: 'b\n' });
    const plain = printer(false);
    plain.p.diff(lines);
    plain.p.flush();
    expect(plain.chunks.join('')).not.toContain('\x1b[');
    const coloured = printer(true);
    coloured.p.diff(lines);
    coloured.p.flush();
    expect(coloured.chunks.join('')).toBe(
      '\x1b[0;31m--- before\x1b[0m\n\x1b[0;32m+++ after\x1b[0m\n\x1b[0;36m@@ -1 +1 @@\x1b[0m\n\x1b[0;31m-a\x1b[0m\n\x1b[0;32m+b\x1b[0m\n\n',
    );
  });
});
