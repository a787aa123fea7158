/**
 * Secret values are registered once (from env vars whose names look secret, tokens given on the
 * command line, values marked no_log) and masked wherever text leaves the process.
 */
const MASK = '********';
const secrets = new Set<string>();
let pattern: RegExp | null = null;

const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;

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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    jsonSpelled = [...secrets].map((s) => JSON.stringify(s).slice(1, -1)).filter((j, i) => j !== [...secrets][i]);
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
      out[k] = isSecretName(k) && v !== null && v !== '' ? MASK : maskSecretKeys(v);
    return out as T;
  }
  return value;
}

export function clearSecretsForTests(): void {
  secrets.clear();
  pattern = null;
}
