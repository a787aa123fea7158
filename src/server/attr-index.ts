/**
 * Device attributes as Mender serves them (scope + name + value), and an index of the
 * static ones so `$eq`/`$in` searches over 100k devices touch only the matching devices.
 */
import type { AttrValue, Device, Scope } from './model.js';

export interface Attribute {
  name: string;
  value: AttrValue;
  scope: Scope;
}

/** Attributes that change only through state events (not with the clock). */
export function staticAttributes(d: Device): Attribute[] {
  const out: Attribute[] = [];
  for (const [name, value] of Object.entries(d.identity)) out.push({ name, value, scope: 'identity' });
  out.push({ name: 'status', value: d.auth, scope: 'identity' });
  for (const [name, value] of Object.entries(d.inventory)) out.push({ name, value, scope: 'inventory' });
  if (d.group) out.push({ name: 'group', value: d.group, scope: 'system' });
  if (d.name) out.push({ name: 'name', value: d.name, scope: 'tags' });
  return out;
}

/** One attribute's value, including the time-dependent system ones. */
export function attributeValue(
  d: Device,
  scope: string,
  name: string,
  checkIn: (d: Device) => number,
): AttrValue | undefined {
  switch (scope) {
    case 'identity':
      return name === 'status' ? d.auth : d.identity[name];
    case 'inventory':
      return d.inventory[name];
    case 'tags':
      return name === 'name' ? d.name : undefined;
    case 'system':
      if (name === 'group') return d.group;
      if (name === 'created_ts') return new Date(d.createdTs).toISOString();
      if (name === 'updated_ts') return new Date(d.updatedTs).toISOString();
      if (name === 'check_in_time') return new Date(checkIn(d)).toISOString();
      return undefined;
    default:
      return undefined;
  }
}

/** Identity data is unique per device: an index of it would cost a set per device for rare lookups. */
const indexedAttributes = (d: Device) =>
  staticAttributes(d).filter((a) => a.scope !== 'identity' || a.name === 'status');

export const valueKey = (v: string | number | boolean): string => `${typeof v}:${String(v)}`;

export class AttrIndex {
  private readonly byAttr = new Map<string, Map<string, Set<string>>>();

  addDevice(d: Device): void {
    for (const a of indexedAttributes(d)) {
      let values = this.byAttr.get(`${a.scope}/${a.name}`);
      if (!values) this.byAttr.set(`${a.scope}/${a.name}`, (values = new Map<string, Set<string>>()));
      for (const v of Array.isArray(a.value) ? a.value : [a.value]) {
        const k = valueKey(v);
        let ids = values.get(k);
        if (!ids) values.set(k, (ids = new Set()));
        ids.add(d.id);
      }
    }
  }

  removeDevice(d: Device): void {
    for (const a of indexedAttributes(d)) {
      const values = this.byAttr.get(`${a.scope}/${a.name}`);
      for (const v of Array.isArray(a.value) ? a.value : [a.value]) {
        const ids = values?.get(valueKey(v));
        ids?.delete(d.id);
        if (ids && ids.size === 0) values!.delete(valueKey(v));
      }
    }
  }

  /** One attribute changed (cheaper than `update` when the simulator installs an image on 100k devices). */
  change(id: string, scope: string, name: string, from: AttrValue | undefined, to: AttrValue | undefined): void {
    let values = this.byAttr.get(`${scope}/${name}`);
    if (!values) this.byAttr.set(`${scope}/${name}`, (values = new Map<string, Set<string>>()));
    for (const v of from === undefined ? [] : Array.isArray(from) ? from : [from]) {
      const ids = values.get(valueKey(v));
      ids?.delete(id);
      if (ids && ids.size === 0) values.delete(valueKey(v));
    }
    for (const v of to === undefined ? [] : Array.isArray(to) ? to : [to]) {
      const k = valueKey(v);
      let ids = values.get(k);
      if (!ids) values.set(k, (ids = new Set()));
      ids.add(id);
    }
  }

  /** Runs a change of the device with the index kept in step. */
  update(d: Device, change: () => void): void {
    this.removeDevice(d);
    change();
    this.addDevice(d);
  }

  /** Ids having the attribute equal to one of `values` (read-only); undefined if the attribute is not indexed. */
  lookup(scope: string, name: string, values: (string | number | boolean)[]): Set<string> | undefined {
    if ((scope === 'system' && name !== 'group') || (scope === 'identity' && name !== 'status')) return undefined;
    const byValue = this.byAttr.get(`${scope}/${name}`);
    if (!byValue) return new Set();
    // One value: the index's own set (callers only read it).
    if (values.length === 1) return byValue.get(valueKey(values[0])) ?? new Set();
    const out = new Set<string>();
    for (const v of values) for (const id of byValue.get(valueKey(v)) ?? []) out.add(id);
    return out;
  }

  /** Distinct values of an attribute (e.g. the list of groups). */
  values(scope: string, name: string): string[] {
    return [...(this.byAttr.get(`${scope}/${name}`)?.keys() ?? [])].map((k) => k.slice(k.indexOf(':') + 1));
  }
}
