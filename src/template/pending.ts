/**
 * Values only the apply phase of `--mode run` knows (src/engine/apply.ts): what a write put off
 * in the plan phase will return, and what a task put off until then will register or set.
 * Reading one before it is known throws `NeedsApply`, which the task runner turns into "this
 * task runs at apply" for that host — the plan phase cannot return the value, and guessing it
 * would plan from a result that does not exist. Once the apply settles a value, every copy of
 * it (set_fact, hostvars, a later task's saved facts) reads the real one.
 */

/** What a value waits for: the task whose write or run gives it (its name, for the plan output). */
export interface Awaited {
  readonly task: string;
}

/**
 * A signal, not an error: it crosses the template engine (thrown from a variable lookup deep
 * inside a render) up to the task runner, which defers the task instead of failing it.
 */
export class NeedsApply extends Error {
  constructor(readonly awaited: Awaited) {
    super(`reads the result of "${awaited.task}", known only at apply`);
    this.name = 'NeedsApply';
  }
}

/** The signal in `e` or in what a template engine wrapped it in (`cause`). */
export function needsApply(e: unknown): NeedsApply | undefined {
  if (e instanceof NeedsApply) return e;
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause instanceof NeedsApply ? cause : undefined;
}

/** A fact or register whose value the apply phase gives (a task put off sets it then). */
export class Pending {
  private settled = false;
  private value: unknown = undefined;
  constructor(readonly awaited: Awaited) {}

  settle(value: unknown): void {
    this.settled = true;
    this.value = value;
  }

  get known(): boolean {
    return this.settled;
  }

  /** The value, or the NeedsApply signal while the apply has not given it. */
  read(): unknown {
    if (!this.settled) throw new NeedsApply(this.awaited);
    return this.value;
  }
}

/** A variable's value as a template sees it: a settled Pending reads through, an open one signals. */
export function unwrapPending(v: unknown): unknown {
  return v instanceof Pending ? v.read() : v;
}

/**
 * Keys of a planned result that are the plan's to answer (ansible's status of a task): a task
 * reading only these keeps its plan-phase result. Any other key the planned result lacks
 * (status, json, content, location…) is the write's answer.
 */
const PLAN_KEYS = new Set(['changed', 'failed', 'skipped', 'msg']);

/**
 * A registered result with a part only the apply knows: `planned` answers the keys it has (and
 * changed/failed/skipped/msg); any other key signals until `slot` is settled, then every key is
 * the settled result's. `planned` undefined: nothing is known before the apply (a task put off).
 * A proxy, so that a key read anywhere — a template, a filter, a copy — is seen.
 */
export function pendingResult(
  planned: Record<string, unknown> | undefined,
  slot: Pending,
  unsafe?: { mark<T>(v: T): T },
): Record<string, unknown> {
  const plannedHas = (k: string) => planned !== undefined && (PLAN_KEYS.has(k) || Object.hasOwn(planned, k));
  const settled = () => slot.read() as Record<string, unknown>;
  // The target holds symbol keys only (the unsafe mark): nothing is read from it by name.
  const target: Record<string | symbol, unknown> = {};
  // Registered data is never templated (unsafe.ts); marked on the target, whose keys are none.
  unsafe?.mark(target);
  const handler: ProxyHandler<Record<string | symbol, unknown>> = {
    get: (t, k) => {
      if (typeof k === 'symbol') return t[k];
      if (slot.known) return settled()[k];
      return plannedHas(k) ? planned![k] : settled()[k];
    },
    has: (t, k) => {
      if (typeof k === 'symbol') return k in t;
      if (slot.known) return k in settled();
      return plannedHas(k) ? k in planned! : k in settled();
    },
    // Every key of the result: the apply's (the planned result does not have them all).
    ownKeys: () => Reflect.ownKeys(settled()),
    getOwnPropertyDescriptor: (_t, k) => {
      if (typeof k === 'symbol') return undefined;
      const from = slot.known || !plannedHas(k) ? settled() : planned!;
      return Object.hasOwn(from, k)
        ? { configurable: true, enumerable: true, writable: true, value: from[k] }
        : undefined;
    },
    set: (t, k, v) => typeof k === 'symbol' && ((t[k] = v), true),
    deleteProperty: () => false,
  };
  return new Proxy(target, handler);
}
