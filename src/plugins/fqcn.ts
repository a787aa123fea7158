/**
 * Fully qualified collection names (FQCN), resolved in one place for modules, filters, tests and
 * lookups. fleetplay provides its plugins under short names; a name qualified with a collection
 * that ships that plugin in ansible resolves to the same one (`ansible.builtin.uri` is `uri`).
 */

/** Collections whose modules fleetplay implements under the short name (ansible-core's own). */
const MODULE_COLLECTIONS = ['ansible.builtin.', 'ansible.legacy.'] as const;

/** Template plugins also come from these collections (json_query, ipaddr, …). */
export const TEMPLATE_COLLECTIONS = [...MODULE_COLLECTIONS, 'community.general.', 'ansible.utils.'] as const;

export type PluginKind = 'module' | 'filter' | 'test' | 'lookup';

/** The short name fleetplay registers `name` under; a name in no known collection stays as it is. */
export function shortName(name: string, kind: PluginKind): string {
  const collections: readonly string[] = kind === 'module' ? MODULE_COLLECTIONS : TEMPLATE_COLLECTIONS;
  const prefix = collections.find((p) => name.startsWith(p));
  if (!prefix) return name;
  const rest = name.slice(prefix.length);
  // A module's FQCN names one plugin; `ansible.builtin.a.b` is no short name.
  return kind === 'module' && rest.includes('.') ? name : rest;
}
