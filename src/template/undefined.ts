/**
 * Jinja2's Undefined as ansible-core uses it (AnsibleUndefined, a StrictUndefined):
 * `is defined` and `default` can see it, attribute access keeps the first failure,
 * and printing, iterating or testing its truth is an error naming the variable.
 */
export class Undefined {
  constructor(
    /** The expression that was undefined, e.g. `kiosk_url` or `device.url`. */
    readonly name: string,
    /** Jinja's own wording when it is more precise, e.g. "'dict object' has no attribute 'url'". */
    readonly hint?: string,
  ) {}
  get reason(): string {
    return this.hint ?? `'${this.name}' is undefined`;
  }
  fail(): never {
    throw new UndefinedVariable(this);
  }
  toString(): string {
    return this.fail();
  }
  valueOf(): never {
    return this.fail();
  }
  toJSON(): never {
    return this.fail();
  }
}

/** Thrown inside a render; the Templar turns it into a FleetFailure with file and task. */
export class UndefinedVariable extends Error {
  constructor(readonly undef: Undefined) {
    super(undef.reason);
    this.name = 'UndefinedVariable';
  }
}

export const isUndefined = (v: unknown): v is Undefined => v instanceof Undefined || v === undefined;

/** Fails on an Undefined, the way StrictUndefined does wherever a value is really used. */
export function defined<T>(v: T | Undefined): T {
  if (v instanceof Undefined) v.fail();
  return v as T;
}
