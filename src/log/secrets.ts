/**
 * Secret values are registered once (from env vars whose names look secret, tokens given on the
 * command line, values marked no_log, values under secret configuration keys, values a template
 * derived from a secret) and masked wherever text leaves the process.
 */
const MASK = '********';
const secrets = new Set<string>();
let pattern: RegExp | null = null;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;

/**
 * Configuration keys whose values are secret whatever their name says: the default device
 * configuration template's tokens, and the keys a fleet declares in fleetplay.yml (`secret_keys:`).
 * Kept lower case: a key matches in any case, and so does an environment variable of that name.
 */
export const DEFAULT_SECRET_KEYS = ['gharunner_token', 'influxdb_token'] as const;
const secretKeys = new Set<string>(DEFAULT_SECRET_KEYS);

export function registerSecret(value: string | undefined | null): void {
  // Very short values would mask ordinary words; they are not credible secrets anyway.
  if (!value || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  pattern = null;
}

/** The values registered so far (for a worker thread, whose registry starts empty). */
export function registeredSecrets(): string[] {
  return [...secrets];
}

/** Registers every env var whose name looks like a secret (MENDER_ACCESS_TOKEN, INFLUX_TOKEN, ...). */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_NAME.test(name)) registerSecret(value);
  }
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Adds configuration keys whose values are secret (fleetplay.yml `secret_keys:`); the defaults stay. */
export function declareSecretKeys(keys: readonly string[]): void {
  for (const k of keys) secretKeys.add(k.toLowerCase());
  keyVerdicts.clear();
  secretKeyInJson = null;
}

/** `"key":` of a secret key in JSON text: one test of a rendered file, no allocation when none. */
let secretKeyInJson: RegExp | null = null;

/**
 * Registers the values under secret keys of a rendered template file (a device configuration:
 * JSON text, or the data it was read as), when the text names such a key; the text is parsed only
 * then, or when its render read a secret (`readSecret`). Then a key whose value is a secret (`influx_auth`, derived from a token)
 * is learnt as a secret key for the run: the OTA server may hold an old value under it.
 */
export function registerRenderedSecrets(rendered: unknown, readSecret: boolean): void {
  if (typeof rendered === 'string') {
    secretKeyInJson ??= new RegExp(
      `"(?:[^"\\n]*${SECRET_NAME.source}[^"\\n]*|${[...secretKeys].map(escape).join('|')})"\\s*:`,
      'i',
    );
    if (!readSecret && !secretKeyInJson.test(rendered)) return;
  } else if (!readSecret) return registerSecretKeyValues(rendered);
  const doc = typeof rendered === 'string' ? jsonObject(rendered) : rendered;
  if (doc === undefined) return;
  if (readSecret) learnSecretKeys(doc);
  registerSecretKeyValues(doc);
}

/** Keys holding a registered secret become secret keys. */
function learnSecretKeys(doc: unknown): void {
  if (!doc || typeof doc !== 'object') return;
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v === 'string' && secrets.has(v) && !isSecretKey(k)) declareSecretKeys([k]);
    else learnSecretKeys(v);
  }
}

/** Verdicts of isSecretKey: the same few keys are asked about for every device of a large fleet. */
const keyVerdicts = new Map<string, boolean>();

/** A configuration key (or variable name) whose value is secret: declared, or named like a secret. */
export function isSecretKey(name: string): boolean {
  let v = keyVerdicts.get(name);
  if (v === undefined) {
    v = secretKeys.has(name.toLowerCase()) || SECRET_NAME.test(name);
    if (keyVerdicts.size >= 10_000) keyVerdicts.clear();
    keyVerdicts.set(name, v);
  }
  return v;
}

/**
 * Registers the values under secret keys at any depth of `value` (a configuration the server holds
 * or a device reports, a desired one), also inside strings holding a JSON document, so an old
 * value no longer in the environment is masked wherever it shows.
 */
export function registerSecretKeyValues(value: unknown): void {
  if (typeof value === 'string') {
    const doc = jsonObject(value);
    if (doc !== undefined) registerSecretKeyValues(doc);
  } else if (Array.isArray(value)) for (const v of value) registerSecretKeyValues(v);
  else if (value && typeof value === 'object')
    for (const k in value) {
      const v = (value as Record<string, unknown>)[k];
      if (isSecretKey(k)) registerLeaves(v);
      else if (typeof v !== 'string' || v.length > 1) registerSecretKeyValues(v);
    }
}

/** The object or array a string holding JSON holds (a rendered configuration), else undefined. */
function jsonObject(s: string): unknown {
  const c = s.trimStart().charCodeAt(0);
  if (c !== 123 && c !== 91) return undefined; // { [
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

function registerLeaves(v: unknown): void {
  if (typeof v === 'string') registerSecret(v);
  else if (typeof v === 'number') registerSecret(String(v));
  else if (v && typeof v === 'object') for (const x of Object.values(v)) registerLeaves(x);
}

export function maskSecrets(text: string): string {
  if (secrets.size === 0) return text;
  return text.replace(secretPattern(), MASK);
}

/** Secrets as JSON spells them, where that differs (quotes, backslashes, control characters). */
let jsonSpelled: string[] = [];

function secretPattern(): RegExp {
  if (!pattern) {
    // Longest first so a secret that contains another is masked whole.
    pattern = new RegExp(
      [...secrets]
        .sort((a, b) => b.length - a.length)
        .map(escape)
        .join('|'),
      'g',
    );
    jsonSpelled = [...secrets].flatMap((s) => {
      const j = JSON.stringify(s).slice(1, -1);
      return j === s ? [] : [j];
    });
  }
  return pattern;
}

/**
 * JSON of `value` with every string masked, as JSON.stringify(maskDeep(value)) but without the
 * copy when no secret occurs in it (the common case, a million times in a large run report).
 * A secret is looked for in the text as JSON spells it (escaped quotes, backslashes...).
 */
export function maskedJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (secrets.size === 0 || text === undefined) return text;
  const p = secretPattern();
  p.lastIndex = 0;
  if (!p.test(text) && !jsonSpelled.some((j) => text.includes(j))) return text;
  return JSON.stringify(maskDeep(value));
}

/** Deep copy with every string masked; used for reports and structured log metadata. */
export function maskDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map(maskDeep) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v);
    return out as T;
  }
  return value;
}

/** Deep copy in which every value under a secret-looking key (api_token, password…) reads ********. */
export function maskSecretKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(maskSecretKeys) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = isSecretKey(k) && v !== null && v !== '' ? MASK : maskSecretKeys(v);
    return out as T;
  }
  return value;
}

/** Whether `text` holds a registered secret, as it is or as JSON spells it. */
export function containsSecret(text: string): boolean {
  if (secrets.size === 0) return false;
  const p = secretPattern();
  p.lastIndex = 0;
  return p.test(text) || jsonSpelled.some((j) => text.includes(j));
}

/**
 * Secrets read by templates: a render compares the count before and after each `{{ }}` it prints
 * (src/template/engine.ts) and registers what it printed when the count moved — a value derived
 * from a secret is a secret. A number, so the common case (no secret read) costs a comparison.
 */
let secretReads = 0;
export const secretReadCount = (): number => secretReads;

/** A template read `value`: counted when it is a registered secret. */
export function noteRead(value: string): void {
  if (secrets.size !== 0 && secrets.has(value)) secretReads++;
}

/** Shorter than this, a value derived from a secret cannot carry it (a yes/no, a length, a flag). */
export const DERIVED_MIN = 10;

/**
 * Registers what a template printed (or returned) after reading a secret: the text, or the string
 * leaves of a list or mapping. A value that holds a registered secret is left alone: the secret in
 * it is masked already, and registering the rest (a rendered configuration, a variable rendered
 * lazily while this expression read it) would hide everything around it.
 */
export function registerDerived(value: unknown): void {
  const texts: string[] = [];
  leaves(value, texts);
  if (texts.some(containsSecret)) return;
  for (const t of texts) if (t.length >= DERIVED_MIN) registerSecret(t);
}

/** The strings in `v` (a JSON string literal, as `| to_json` prints one, as its text). */
function leaves(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(jsonString(v) ?? v);
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) leaves(x, out);
}

/** The text of a JSON string literal (what `| to_json` prints), else undefined. */
function jsonString(s: string): string | undefined {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function clearSecretsForTests(): void {
  secrets.clear();
  pattern = null;
  secretKeys.clear();
  for (const k of DEFAULT_SECRET_KEYS) secretKeys.add(k);
  keyVerdicts.clear();
  secretKeyInJson = null;
}
