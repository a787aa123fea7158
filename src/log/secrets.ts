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
  if (!pattern) {
    // Longest first so a secret that contains another is masked whole.
    const alts = [...secrets].sort((a, b) => b.length - a.length).map(escape);
    pattern = new RegExp(alts.join('|'), 'g');
  }
  return text.replace(pattern, MASK);
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
    for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) && v !== null && v !== '' ? MASK : maskSecretKeys(v);
    return out as T;
  }
  return value;
}

export function clearSecretsForTests(): void {
  secrets.clear();
  pattern = null;
}
