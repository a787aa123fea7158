/**
 * Data that is never templated, as ansible's AnsibleUnsafe (wrap_var): registered results and
 * the facts of modules other than set_fact. A device reporting "{{ lookup('env', ...) }}" as an
 * attribute must not make us render it, even after set_fact copied it into another variable.
 * Containers are marked as such (then neither templated nor walked again: 100k hosts' facts are
 * read on every task); strings that look like templates are remembered by value, since a JS
 * string cannot carry a mark — so the same text written in the playbook would not render either.
 * Those texts are one run's (the run context holds them): another run's device data marks nothing here.
 */
const TEMPLATE_START = /\{\{|\{%|\{#/;
/**
 * The mark on a container: a symbol key rather than a WeakSet, because a large run marks millions
 * of objects and a WeakSet that size weighs on every garbage collection. JSON and Object.keys
 * do not see it; a spread copy keeps it (still the same data).
 */
const UNSAFE = Symbol('fleetplay.unsafe');

type Marked = { [UNSAFE]?: true };

export class UnsafeTexts {
  private readonly texts = new Set<string>();

  /** Marks `v` and everything inside it unsafe; returns it unchanged. */
  mark<T>(v: T): T {
    if (typeof v === 'string') {
      if (v.includes('{') && TEMPLATE_START.test(v)) this.texts.add(v);
    } else if (typeof v === 'object' && v !== null && (v as Marked)[UNSAFE] !== true && !Object.isFrozen(v)) {
      (v as Marked)[UNSAFE] = true;
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) this.mark(v[i]);
      else for (const k of Object.keys(v)) this.mark((v as Record<string, unknown>)[k]);
    }
    return v;
  }

  has(v: unknown): boolean {
    if (typeof v === 'string') return this.texts.size > 0 && this.texts.has(v);
    return typeof v === 'object' && v !== null && (v as Marked)[UNSAFE] === true;
  }
}
