#!/usr/bin/env node
/**
 * Derives the project's copy of the API contracts its tests validate against (contract/):
 * the machine-readable part of Mender's management API description and of GitHub's REST
 * operations fleetplay calls. Paths, methods, operationIds, parameters, request bodies,
 * responses with their status codes, headers and schemas stay, with every component they
 * reference (transitively); prose (descriptions, summaries, titles, tags, external docs,
 * vendor extensions) and examples go. The output is canonical (sorted keys, 2-space JSON,
 * trailing newline) so that test/contract/drift.test.ts can compare bytes.
 *
 *   node scripts/derive-contract.mjs [reference-dir] [--out dir]
 *
 * reference-dir holds mender-openapi.yaml and github-openapi-subset.json (default: $FLEETPLAY_REFERENCE_DIR;
 * the script has no default of its own, so it never reads a folder outside the repository unasked); --out defaults
 * to contract/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Each output file: the source it is derived from and the paths it keeps. */
const TARGETS = [
  // The embedded server and the OTA client speak only the management API (useradm login included).
  { out: 'mender-management.json', source: 'mender-openapi.yaml', keepPath: (p) => p.startsWith('/api/management/') },
  // The source is already cut down to the operations fleetplay calls; operations fleetplay calls that the
  // reference folder's subset lacks come from an excerpt of the same description kept in the repository.
  {
    out: 'github.json',
    source: 'github-openapi-subset.json',
    additions: join(root, 'contract', 'sources', 'github-openapi-additions.json'),
    keepPath: () => true,
  },
];

/** Keywords that only explain or illustrate; validation never reads them. */
const PROSE = new Set(['description', 'summary', 'title', 'example', 'examples', 'externalDocs', 'tags']);
/** The one vendor extension a check reads: a path parameter (a git ref) that may span segments. */
const KEPT_EXTENSIONS = new Set(['x-multi-segment']);
/** Keywords whose value maps names (a property, a status code, a media type) to objects: its keys are data. */
const MAPS = new Set([
  'properties',
  'patternProperties',
  'paths',
  'responses',
  'content',
  'headers',
  'encoding',
  'links',
  'callbacks',
  'schemas',
  'parameters',
  'requestBodies',
  'securitySchemes',
  'mapping',
  'scopes',
]);
/** Keywords whose value is data for the instance, copied as is. */
const VERBATIM = new Set(['default', 'enum', 'const']);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A description node without prose: keywords dropped, names under a map keyword kept. */
function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (!isObject(node)) return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (PROSE.has(key) || (key.startsWith('x-') && !KEPT_EXTENSIONS.has(key))) continue;
    if (VERBATIM.has(key)) out[key] = value;
    else if (MAPS.has(key) && isObject(value)) out[key] = mapValues(value, strip);
    else out[key] = strip(value);
  }
  return out;
}

const mapValues = (o, f) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** Every `#/components/...` a node points to: `$ref`s, discriminator mappings, security scheme names. */
function references(node, found = []) {
  if (Array.isArray(node)) node.forEach((n) => references(n, found));
  if (!isObject(node)) return found;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') found.push(value);
    else if (key === 'mapping' && isObject(value))
      found.push(...Object.values(value).filter((v) => v.startsWith('#/')));
    else if (key === 'security' && Array.isArray(value))
      found.push(...value.flatMap((s) => Object.keys(s).map((name) => `#/components/securitySchemes/${name}`)));
    else references(value, found);
  }
  return found;
}

/** The components reachable from `roots`, by kind; a reference to nothing is an error naming it. */
function reachable(roots, components, file) {
  const kept = {};
  const queue = references(roots);
  while (queue.length > 0) {
    const ref = queue.pop();
    const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
    if (!m) throw new Error(`${file}: reference ${ref} does not point into #/components/<kind>/<name>`);
    const [, kind, name] = m;
    if (kept[kind] && name in kept[kind]) continue;
    const target = components?.[kind]?.[name];
    if (target === undefined) throw new Error(`${file}: ${ref} is referenced but not defined`);
    (kept[kind] ??= {})[name] = target;
    queue.push(...references(target));
  }
  return kept;
}

/** Objects with their keys sorted, so the same input always gives the same bytes. */
function sorted(node) {
  if (Array.isArray(node)) return node.map(sorted);
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.keys(node)
      .sort()
      .map((k) => [k, sorted(node[k])]),
  );
}

function readDescription(file) {
  if (!existsSync(file))
    throw new Error(
      `${file} not found: pass the folder holding mender-openapi.yaml and github-openapi-subset.json as the ` +
        'first argument (or set FLEETPLAY_REFERENCE_DIR)',
    );
  let doc;
  try {
    // JSON is YAML, so one parser reads both sources.
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(doc) || !isObject(doc.paths))
    throw new Error(`${file}: not an OpenAPI description (no paths object at the top level)`);
  return doc;
}

/**
 * `doc` with the operations and components of `additions` it lacks. What both hold is the
 * subset's: once the reference folder carries an added operation, the excerpt changes nothing.
 */
function withAdditions(doc, additions) {
  if (!additions) return doc;
  const extra = readDescription(additions);
  const paths = { ...doc.paths };
  for (const [p, item] of Object.entries(extra.paths)) paths[p] = { ...item, ...(paths[p] ?? {}) };
  const components = { ...(doc.components ?? {}) };
  for (const [kind, named] of Object.entries(extra.components ?? {}))
    components[kind] = { ...named, ...(components[kind] ?? {}) };
  return { ...doc, paths, components };
}

/** One contract file's text, derived from one source description (and the additions to it). */
function deriveOne(file, keepPath, additions) {
  const doc = withAdditions(readDescription(file), additions);
  const kept = Object.fromEntries(Object.entries(doc.paths).filter(([p]) => keepPath(p)));
  // Path templates and component names are names, not keywords: strip each item, never the maps themselves.
  const pathItems = mapValues(kept, strip);
  const components = isObject(doc.components)
    ? mapValues(doc.components, (m) => (isObject(m) ? mapValues(m, strip) : m))
    : {};
  const info = doc.info ?? {};
  const contract = {
    openapi: doc.openapi,
    info: { title: info.title, version: info.version, ...(info.license ? { license: info.license } : {}) },
    paths: pathItems,
    components: reachable(pathItems, components, file),
  };
  return `${JSON.stringify(sorted(contract), null, 2)}\n`;
}

/** Every contract file's name and text, derived from the sources in `referenceDir`. */
export function deriveContract(referenceDir) {
  return Object.fromEntries(
    TARGETS.map((t) => [t.out, deriveOne(join(referenceDir, t.source), t.keepPath, t.additions)]),
  );
}

function main() {
  const { values, positionals } = parseArgs({
    options: { out: { type: 'string', default: join(root, 'contract') } },
    allowPositionals: true,
  });
  const given = positionals[0] ?? process.env.FLEETPLAY_REFERENCE_DIR;
  if (!given)
    throw new Error(
      'which descriptions? pass the folder holding mender-openapi.yaml and github-openapi-subset.json as the ' +
        'first argument (or set FLEETPLAY_REFERENCE_DIR)',
    );
  const referenceDir = resolve(given);
  const files = deriveContract(referenceDir);
  mkdirSync(values.out, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(values.out, name), text);
    console.log(`${join(values.out, name)}: ${Buffer.byteLength(text)} bytes`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`derive-contract: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
