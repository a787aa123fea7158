/**
 * Device configuration as pure decisions. Mender stores a configuration as a flat map of strings;
 * the repository renders a JSON document. Both sides are normalised the same way (scalars to
 * strings, nested values to canonical JSON with sorted keys) so key order or `1` vs `"1"` never
 * reads as drift, and the `ignore` list removes fields the device writes itself.
 */
import { err, fleetError, ok, type Result } from '../../errors/index.js';
import { isSecretKey, maskSecretKeys, registerSecretKeyValues } from '../../log/index.js';
import type { ConfigMap } from '../../ota/schemas.js';

/** `o`'s keys in sort order; most maps come sorted already (a server's, stored normalised): no sort then. */
function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.sort();
  return keys;
}

/** A JSON value with object keys sorted, so equal documents serialise equally. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(sortedKeys(v).map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** One value as Mender stores it: a string. */
export function scalarString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(canonical(v));
  return String(v);
}

/** The JSON object or array a string holds, else undefined. */
function jsonDocument(s: string): unknown {
  const t = s.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** A string holding a JSON object or array, re-serialised canonically; any other string unchanged. */
function canonicalString(s: string): string {
  const doc = jsonDocument(s);
  return doc === undefined ? s : JSON.stringify(canonical(doc));
}

/** The desired document (a mapping) → a Mender configuration map. */
export function normaliseDesired(desired: unknown): Result<ConfigMap> {
  if (!desired || typeof desired !== 'object' || Array.isArray(desired)) {
    return err(
      fleetError(
        'mender_config.not-a-mapping',
        `the desired configuration must be a mapping, not ${Array.isArray(desired) ? 'a list' : typeof desired}`,
        {
          hint: "pass config: \"{{ lookup('template', 'device-config.json.j2') | from_json }}\" or a YAML mapping",
        },
      ),
    );
  }
  // A mapping written in a task (not rendered from a template file) registers its secrets here.
  registerSecretKeyValues(desired);
  const out: ConfigMap = {};
  for (const k of sortedKeys(desired)) out[k] = canonicalString(scalarString((desired as Record<string, unknown>)[k]));
  return ok(out);
}

/** A map from the server, normalised the same way as the desired one. */
export function normaliseMap(m: ConfigMap): ConfigMap {
  const out: ConfigMap = {};
  for (const k of sortedKeys(m)) out[k] = canonicalString(m[k]);
  return out;
}

/** RFC 6901 pointer → tokens. */
function pointerTokens(p: string): string[] {
  return p
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function removePath(doc: unknown, tokens: string[]): unknown {
  if (!doc || typeof doc !== 'object' || tokens.length === 0) return doc;
  const [head, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(doc)) {
    const list = doc as unknown[];
    const i = Number(head);
    if (!Number.isInteger(i) || i < 0 || i >= list.length) return list;
    return rest.length ? list.map((x, j) => (j === i ? removePath(x, rest) : x)) : list.filter((_, j) => j !== i);
  }
  const o = { ...(doc as Record<string, unknown>) };
  if (!(head in o)) return doc;
  if (rest.length) o[head] = removePath(o[head], rest);
  else delete o[head];
  return o;
}

/**
 * Removes ignored fields: a plain name is a top-level key; a JSON pointer (`/monitoring/last_seen`)
 * reaches inside a value that holds a JSON document.
 */
export function applyIgnore(m: ConfigMap, ignore: string[]): ConfigMap {
  // A copy without the plain keys (not a copy and `delete`: deleting makes a slow dictionary object).
  const plain = new Set(ignore.filter((e) => !e.startsWith('/')));
  const out: ConfigMap = {};
  for (const k in m) if (!plain.has(k)) out[k] = m[k]!;
  for (const entry of ignore) {
    if (!entry.startsWith('/')) continue;
    const [key, ...rest] = pointerTokens(entry) as [string, ...string[]];
    if (!(key in out)) continue;
    if (rest.length === 0) {
      delete out[key];
      continue;
    }
    try {
      out[key] = JSON.stringify(canonical(removePath(JSON.parse(out[key]), rest)));
    } catch {
      // Not a JSON document: nothing inside it to ignore.
    }
  }
  return out;
}

export function sameConfig(a: ConfigMap, b: ConfigMap): boolean {
  const ka = Object.keys(a);
  return (
    ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k])
  );
}

/** Keys whose values differ, with from → to values; values of secret keys (named or declared) are masked. */
export function configDiff(from: ConfigMap, to: ConfigMap): { from: ConfigMap; to: ConfigMap } {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort().filter((k) => from[k] !== to[k]);
  const show = (m: ConfigMap, k: string) => (m[k] === undefined ? undefined : isSecretKey(k) ? '********' : m[k]);
  const pick = (m: ConfigMap) =>
    Object.fromEntries(keys.map((k) => [k, show(m, k)]).filter(([, v]) => v !== undefined)) as ConfigMap;
  return { from: pick(from), to: pick(to) };
}

export interface ConfigState {
  configured: ConfigMap;
  reported: ConfigMap;
  /** The latest configuration deployment is still pending or in progress. */
  deploying: boolean;
}

export type ConfigDecision =
  | { action: 'none'; why: string }
  | { action: 'wait'; why: string }
  | {
      action: 'deploy';
      set: boolean;
      why: string;
      from: ConfigMap;
      to: ConfigMap;
      before: ConfigMap;
      after: ConfigMap;
      source: 'configured' | 'reported';
    };

/** Desired (normalised) vs what the server has configured and what the device reports. */
export function planConfig(desired: ConfigMap, state: ConfigState, ignore: string[]): ConfigDecision {
  const want = applyIgnore(desired, ignore);
  const configured = applyIgnore(normaliseMap(state.configured), ignore);
  const reported = applyIgnore(normaliseMap(state.reported), ignore);
  const isConfigured = sameConfig(want, configured);
  const isReported = sameConfig(want, reported);
  if (isConfigured && isReported) return { action: 'none', why: 'the device reports the desired configuration' };
  if (isConfigured && state.deploying)
    return { action: 'wait', why: 'the desired configuration is set and its deployment is in flight' };
  if (isConfigured) {
    const why =
      'the desired configuration is set but the device reports another one (drift or a failed deployment): deploying it again';
    return {
      action: 'deploy',
      set: false,
      why,
      ...configDiff(reported, want),
      before: reported,
      after: want,
      source: 'reported',
    };
  }
  const source = Object.keys(state.configured).length ? 'configured' : 'reported';
  const base = source === 'configured' ? configured : reported;
  return {
    action: 'deploy',
    set: true,
    why: 'the configuration differs from the repository',
    ...configDiff(base, want),
    before: base,
    after: want,
    source,
  };
}

/** A secret's new value in `--diff`: neither value is shown, only that it changes. */
export const CHANGED_SECRET = '******** (changed)';

/**
 * `--diff` of a deploy decision (ansible's before/after mappings, printed as sorted pretty JSON):
 * the whole configuration the device has (configured on the server, or what it reports) against
 * the desired one, ignored fields left out, values under secret keys masked at any depth.
 */
export function configDiffView(
  device: string,
  d: Extract<ConfigDecision, { action: 'deploy' }>,
): { before_header: string; after_header: string; before: unknown; after: unknown } {
  // A value holding a JSON document is shown as that document, one field a line.
  const view = (m: ConfigMap) =>
    maskSecretKeys(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, jsonDocument(v) ?? v])));
  const source = d.source === 'configured' ? 'configured on the server' : 'reported by the device';
  const after = view(d.after);
  // Masked on both sides, a rotated secret would not show in the diff at all: say that it changes.
  for (const k of Object.keys(after))
    if (isSecretKey(k) && k in d.before && d.before[k] !== d.after[k]) after[k] = CHANGED_SECRET;
  return {
    before_header: `${device} (${source})`,
    after_header: `${device} (desired)`,
    before: view(d.before),
    after,
  };
}
