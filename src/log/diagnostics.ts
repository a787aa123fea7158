/**
 * The one printer of FleetErrors for every command: the line people read (`file:line:col:
 * message` and the hint, masked) and, in GitHub Actions (GITHUB_ACTIONS=true), the same error as
 * a workflow command (`::error file=…,line=…,col=…,title=fleetplay::message`), so that a
 * configuration error shows on the line of the pull request that caused it.
 * Workflow command syntax and escaping: GitHub's "Workflow commands for GitHub Actions".
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { formatError, type FleetError } from '../errors/index.js';
import { maskSecrets } from './secrets.js';

export type Severity = 'error' | 'warning';

export interface DiagnosticOptions {
  /** What the readable line starts with: `ERROR! `, `error: `, `warning: `, `[WARNING]: `. */
  prefix: string;
  severity?: Severity;
  /** GITHUB_ACTIONS and GITHUB_WORKSPACE are read here (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Writes `e` for people and, in GitHub Actions, as an annotation on the same stream (the runner
 * reads workflow commands from stdout and stderr alike; a second stream would break `--json`).
 */
export function printDiagnostic(stream: NodeJS.WritableStream, e: FleetError, o: DiagnosticOptions): void {
  stream.write(`${diagnostic(e, o)}\n`);
}

/** What printDiagnostic writes, without the last newline (for callers that write lines). */
export function diagnostic(e: FleetError, o: DiagnosticOptions): string {
  const env = o.env ?? process.env;
  const command = env.GITHUB_ACTIONS === 'true' ? annotation(e, o.severity ?? 'error', env) : undefined;
  return `${maskSecrets(`${o.prefix}${formatError(e)}`)}${command ? `\n${command}` : ''}`;
}

/** `%`, CR and LF in a workflow command's message. */
export const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** A property value also escapes the separators `:` and `,`. */
export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * The workflow command for an error that names a file, with the path relative to the repository
 * root (GITHUB_WORKSPACE, else the current directory), where GitHub looks for it in the pull
 * request. A file outside the repository, or a path that is no file (a directory, a missing
 * inventory source), cannot be shown on a line: the annotation then names it in its message.
 * Errors without a file are not annotated: they are about no line of the pull request.
 */
export function annotation(
  e: FleetError,
  severity: Severity,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!e.file) return undefined;
  const root = resolve(env.GITHUB_WORKSPACE || process.cwd());
  const path = relative(root, resolve(e.file));
  const outside = path === '' || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path);
  const inside = !outside && isFile(resolve(e.file));
  const props: [string, string | undefined][] = [
    ['file', inside ? path.split(sep).join('/') : undefined],
    ['line', inside && e.line ? String(e.line) : undefined],
    ['col', inside && e.line && e.column ? String(e.column) : undefined],
    ['title', 'fleetplay'],
  ];
  const text = inside ? e.message.split(`${root}${sep}`).join('') : formatError({ ...e, hint: undefined });
  const message = maskSecrets(`${text}${e.hint ? `\nhint: ${e.hint}` : ''}`);
  const values = props.flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${escapeProperty(maskSecrets(v))}`]));
  return `::${severity} ${values.join(',')}::${escapeData(message)}`;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
