/**
 * Errors are values with context until the CLI prints them.
 * A FleetError says where (file, line, column), what went wrong, and what to write instead.
 */
export interface Where {
  file?: string;
  line?: number;
  column?: number;
}

export interface FleetError extends Where {
  /** Stable machine-readable code, e.g. `inventory.duplicate-key`. */
  code: string;
  message: string;
  /** What to write instead. */
  hint?: string;
  /** Extra context (endpoint, task name, host...). Never secrets. */
  context?: Record<string, unknown>;
}

export type Result<T, E = FleetError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = FleetError>(error: E): Result<never, E> => ({ ok: false, error });

export function fleetError(code: string, message: string, extra: Partial<FleetError> = {}): FleetError {
  return { code, message, ...extra };
}

/** `file:line:column: message` followed by the hint, the way compilers print it. */
export function formatError(e: FleetError): string {
  const where = e.file ? `${e.file}${e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : ''}: ` : '';
  return `${where}${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
}

/** Thrown only to cross a boundary that cannot return a value (a callback, a template filter). */
export class FleetFailure extends Error {
  constructor(public readonly error: FleetError) {
    super(formatError(error));
    this.name = 'FleetFailure';
  }
}

/** Documented exit codes of the `fleetplay` command. */
export const ExitCode = {
  ok: 0,
  usage: 1,
  hostFailed: 2,
  inProgress: 3,
  otaUnreachable: 4,
  /** `run --mode run`: the stage branch moved on before the first write; nothing was written. */
  branchMoved: 5,
  /** `run --mode run`: the branch's remote could not be asked whether it moved on; nothing was written. */
  branchUnchecked: 6,
  /** `fleetplay guard`: the pull request is no promotion the stages allow (order, green, unmodified). */
  promotionRefused: 7,
} as const;
