import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError } from '../../src/errors/index.js';
import { loadStageList } from '../../src/stage/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stages-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('without fleetplay.yml the stages are main → canary → production', () => {
  const r = loadStageList(dir);
  if (!r.ok) throw new Error(r.error.map(formatError).join('\n'));
  expect(r.value.names).toEqual(['main', 'canary', 'production']);
  expect(r.value.source).toBe('default');
  expect(r.value.below('canary')).toBe('main');
  expect(r.value.below('main')).toBeUndefined();
  expect(r.value.above('canary')).toBe('production');
  expect(r.value.above('production')).toBeUndefined();
  expect(r.value.has('feature/x')).toBe(false);
});

test('fleetplay.yml configures the stages, lowest first', () => {
  writeFileSync(join(dir, 'fleetplay.yml'), 'stages: [develop, qa, field]\n');
  const r = loadStageList(dir);
  if (!r.ok) throw new Error(r.error.map(formatError).join('\n'));
  expect(r.value.toString()).toBe('develop → qa → field');
  expect(r.value.below('field')).toBe('qa');
  expect(r.value.source).toBe(join(dir, 'fleetplay.yml'));
});

test.each([
  ['stages: []\n', 'stages', 1],
  ['stages: [main, main]\n', 'each stage once', 1],
  ['stages:\n  - main\n  - "bad name"\n', 'stages.1', 3],
  ['stage: [main]\n', 'stage', 1],
])('a bad fleetplay.yml (%j) names the file, the line and what to write', (text, says, line) => {
  writeFileSync(join(dir, 'fleetplay.yml'), text);
  const r = loadStageList(dir);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  const e = r.error[0];
  expect(e.file).toBe(join(dir, 'fleetplay.yml'));
  expect(e.line).toBe(line);
  expect(formatError(e)).toContain(says);
  expect(e.hint).toContain('stages: [main, canary, production]');
});
