import winston from 'winston';
import { maskDeep, maskSecrets } from './secrets.js';

export {
  registerSecret,
  registeredSecrets,
  registerSecretsFromEnv,
  maskSecrets,
  maskDeep,
  maskedJson,
  containsSecret,
  maskSecretKeys,
  isSecretName,
  isSecretKey,
  declareSecretKeys,
  registerSecretKeyValues,
  DEFAULT_SECRET_KEYS,
} from './secrets.js';

export {
  annotation,
  diagnostic,
  escapeData,
  escapeProperty,
  printDiagnostic,
  type DiagnosticOptions,
  type Severity,
} from './diagnostics.js';

export type LogFormat = 'text' | 'json';

/** Masks secrets in the message and in every metadata field before any transport sees them. */
const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const v = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] = typeof v === 'string' ? maskSecrets(v) : maskDeep(v);
  }
  return info;
});

function formatFor(kind: LogFormat, color: boolean): winston.Logform.Format {
  if (kind === 'json') return winston.format.combine(redact(), winston.format.timestamp(), winston.format.json());
  const parts = [redact()];
  if (color) parts.push(winston.format.colorize());
  parts.push(
    winston.format.printf(({ level, message, ...meta }) => {
      const rest = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
      return `${level}: ${String(message)}${rest}`;
    }),
  );
  return winston.format.combine(...parts);
}

export interface LogOptions {
  format?: LogFormat;
  level?: string;
  /** Where log lines go; stderr by default so stdout stays for results. */
  stream?: NodeJS.WritableStream;
}

/** Colour on a terminal, never with NO_COLOR set (https://no-color.org); `env` for callers given their own. */
export function useColor(
  stream: NodeJS.WritableStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean((stream as NodeJS.WriteStream).isTTY);
}

export function createLogger(opts: LogOptions = {}): winston.Logger {
  const stream = opts.stream ?? process.stderr;
  return winston.createLogger({
    level: opts.level ?? process.env.FLEETPLAY_LOG_LEVEL ?? 'info',
    format: formatFor(opts.format ?? 'text', opts.format !== 'json' && useColor(stream)),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** The process-wide logger; the CLI reconfigures it from --log-format / -v. */
export let log: winston.Logger = createLogger();
let format: LogFormat = 'text';

export function configureLogging(opts: LogOptions): winston.Logger {
  log = createLogger(opts);
  format = opts.format ?? 'text';
  return log;
}

/** Level and format in effect, for a worker thread to log as this thread does. */
export function logSettings(): { level: string; format: LogFormat } {
  return { level: log.level, format };
}
