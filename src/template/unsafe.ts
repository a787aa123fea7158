/**
 * Data that is never templated, as ansible's AnsibleUnsafe (wrap_var): registered results and
 * the facts of modules other than set_fact. A device reporting "{{ lookup('env', ...) }}" as an
 * attribute must not make us render it, even after set_fact copied it into another variable.
 * Containers are marked as such (then neither templated nor walked again: 100k hosts' facts are
 * read on every task); strings that look like templates are remembered by value, since a JS
 * string cannot carry a mark — so the same text written in the playbook would not render either.
 */
const TEMPLATE_START = /\{\{|\{%|\{#/;
/**
 * The mark on a container: a symbol key rather than a WeakSet, because a large run marks millions
 * of objects and a WeakSet that size weighs on every garbage collection. JSON and Object.keys
 * do not see it; a spread copy keeps it (still the same data).
 */
const UNSAFE = Symbol('fleetplay.unsafe');
const texts = new Set<string>();

type Marked = { [UNSAFE]?: true };

/** Marks `v` and everything inside it unsafe; returns it unchanged. */
export function markUnsafe<T>(v: T): T {
  if (typeof v === 'string') {
    if (v.includes('{') && TEMPLATE_START.test(v)) texts.add(v);
  } else if (typeof v === 'object' && v !== null && (v as Marked)[UNSAFE] !== true && !Object.isFrozen(v)) {
    (v as Marked)[UNSAFE] = true;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) markUnsafe(v[i]);
    else for (const k of Object.keys(v)) markUnsafe((v as Record<string, unknown>)[k]);
  }
  return v;
}

export function isUnsafe(v: unknown): boolean {
  if (typeof v === 'string') return texts.size > 0 && texts.has(v);
  return typeof v === 'object' && v !== null && (v as Marked)[UNSAFE] === true;
}
