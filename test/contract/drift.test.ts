/**
 * contract/ is derived, never edited: where the published descriptions are at hand (beside the
 * repository in the project's workspace, or FLEETPLAY_REFERENCE_DIR), the committed copy must be
 * byte for byte what scripts/derive-contract.mjs derives from them. Anywhere else the copy is still
 * checked for what the derivation guarantees: a fixed point of the script, no prose, every $ref
 * defined, a NOTICE naming both sources.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(root, 'scripts', 'derive-contract.mjs');
/** Each contract file and the source file it is derived from. */
const FILES = { 'mender-management.json': 'mender-openapi.yaml', 'github.json': 'github-openapi-subset.json' };
const NAMES = Object.keys(FILES) as (keyof typeof FILES)[];
/** The published descriptions; only the project's workspace has them beside the repository. */
const REFERENCE = resolve(process.env.FLEETPLAY_REFERENCE_DIR ?? join(root, '..', 'shared', 'reference'));

type Json = Record<string, unknown>;
const committed = (name: string) => readFileSync(join(root, 'contract', name), 'utf8');

/** Runs the script as a user would, into a temp dir; the files it wrote, or its error output. */
function derive(referenceDir: string): { status: number | null; stderr: string; files: Record<string, string> } {
  const out = mkdtempSync(join(tmpdir(), 'fleetplay-contract-'));
  const run = spawnSync(process.execPath, [SCRIPT, referenceDir, '--out', out], { encoding: 'utf8' });
  const files = run.status === 0 ? Object.fromEntries(NAMES.map((n) => [n, readFileSync(join(out, n), 'utf8')])) : {};
  rmSync(out, { recursive: true, force: true });
  return { status: run.status, stderr: run.stderr, files };
}

/** Every value of `key` anywhere in a parsed document, with the object holding it. */
function valuesOf(node: unknown, key: string, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) node.forEach((n) => valuesOf(n, key, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === key) found.push(v);
      valuesOf(v, key, found);
    }
  }
  return found;
}

function keysOf(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => keysOf(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Json)) {
      found.add(k);
      keysOf(v, found);
    }
  }
  return found;
}

const drift: [string, () => void] = existsSync(REFERENCE)
  ? [
      `contract/ is byte for byte what scripts/derive-contract.mjs derives from ${REFERENCE}`,
      () => {
        const derived = derive(REFERENCE);
        expect(derived.stderr).toBe('');
        for (const name of NAMES) expect({ name, text: committed(name) }).toEqual({ name, text: derived.files[name] });
      },
    ]
  : [
      `no reference at ${REFERENCE}, so nothing to compare with: the script says so and names what to pass`,
      () => {
        const derived = derive(REFERENCE);
        expect(derived.status).toBe(1);
        expect(derived.stderr).toContain(`${join(REFERENCE, 'mender-openapi.yaml')} not found`);
        expect(derived.stderr).toContain('FLEETPLAY_REFERENCE_DIR');
      },
    ];

describe('contract/: the API contracts the tests read', () => {
  test(...drift);

  test('deriving again from the committed copy gives the same bytes (it is already canonical and prose-free)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplay-reference-'));
    // JSON is YAML: the Mender copy stands in for the YAML source.
    for (const name of NAMES) copyFileSync(join(root, 'contract', name), join(dir, FILES[name]));
    const derived = derive(dir);
    expect(derived.stderr).toBe('');
    for (const name of NAMES) expect(derived.files[name]).toBe(committed(name));
  });

  test.each(NAMES)('%s: no prose or vendor extensions, every $ref defined, 2-space JSON', (name) => {
    const text = committed(name);
    const doc = JSON.parse(text) as Json;
    expect(text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    // As keywords these hold text; as property names (a pull request's title) they hold a schema object.
    for (const prose of ['description', 'summary', 'title', 'example']) {
      expect({ prose, text: valuesOf([doc.paths, doc.components], prose).filter((v) => typeof v === 'string') }).toEqual({
        prose,
        text: [],
      });
    }
    expect([...keysOf(doc)].filter((k) => k.startsWith('x-') && k !== 'x-multi-segment')).toEqual([]);
    const dangling = valuesOf(doc, '$ref').filter(
      (ref) =>
        String(ref)
          .replace(/^#\//, '')
          .split('/')
          .reduce<unknown>((n, k) => (n as Json | undefined)?.[k], doc) === undefined,
    );
    expect(dangling).toEqual([]);
  });

  test('the Mender copy is the management API; the GitHub copy the operations NOTICE names', () => {
    const mender = JSON.parse(committed('mender-management.json')) as { paths: Json };
    const github = JSON.parse(committed('github.json')) as { paths: Json };
    const paths = Object.keys(mender.paths);
    expect(paths).toContain('/api/management/v1/useradm/auth/login');
    expect(paths.filter((p) => !p.startsWith('/api/management/'))).toEqual([]);
    const notice = committed('NOTICE');
    const operations = valuesOf(github.paths, 'operationId').map(String);
    expect(operations).toHaveLength(21);
    expect(operations.filter((id) => !notice.includes(id))).toEqual([]);
  });

  test('NOTICE names each source with its version and license, and the command that derives the copy', () => {
    const notice = committed('NOTICE');
    for (const fact of [
      'mendersoftware/mender-server',
      'backend/docs/api/dist/openapi.yaml',
      'commit f954ef50',
      'Apache License 2.0',
      'Northern.tech AS',
      '@octokit/openapi 23.0.2',
      'MIT License',
      'GitHub, Inc.',
      'node scripts/derive-contract.mjs',
    ])
      expect({ fact, named: notice.includes(fact) }).toEqual({ fact, named: true });
  });
});
