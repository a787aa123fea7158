import { fleetError, type FleetError, type Result } from '../errors/index.js';

/** What pattern matching needs from an inventory. */
export interface PatternTarget {
  /** Hosts in the order they were first defined (ansible's inventory.hosts dict). */
  readonly definedHosts: readonly string[];
  readonly groups: ReadonlyMap<string, unknown>;
  groupHosts(group: string): string[];
  hasHost(name: string): boolean;
}

const CONTROLLER = new Set(['localhost', '127.0.0.1', '::1']);
const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

/** `a,b` or `a:b:&c:!d` → single patterns (ansible's split_host_pattern, IPv6 aside). */
export function splitPattern(pattern: string): string[] {
  const parts = pattern.includes(',') ? pattern.split(',') : /^[0-9a-fA-F:]*::?[0-9a-fA-F:]*$/.test(pattern) && pattern.split(':').length > 2 ? [pattern] : (pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? []);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Regular patterns first, then `&` intersections, then `!` exclusions; only modifiers → start from all. */
function orderPatterns(patterns: string[]): string[] {
  const regular = patterns.filter((p) => p[0] !== '!' && p[0] !== '&');
  const inter = patterns.filter((p) => p[0] === '&');
  const excl = patterns.filter((p) => p[0] === '!');
  return [...(regular.length ? regular : ['all']), ...inter, ...excl];
}

/** Hosts matching a host pattern, in ansible's order, without repeats. */
export function matchPattern(inv: PatternTarget, pattern: string): Result<string[]> {
  let hosts: string[] = [];
  for (const p of orderPatterns(splitPattern(pattern))) {
    if (inv.hasHost(p)) {
      hosts.push(p);
      continue;
    }
    const that = matchOne(inv, p.replace(/^[&!]/, ''));
    if (!that.ok) return that;
    const set = new Set(that.value);
    if (p[0] === '!') hosts = hosts.filter((h) => !set.has(h));
    else if (p[0] === '&') hosts = hosts.filter((h) => set.has(h));
    else {
      const existing = new Set(hosts);
      hosts.push(...that.value.filter((h) => !existing.has(h)));
    }
  }
  return { ok: true, value: [...new Set(hosts)] };
}

/**
 * The single patterns that name neither a host nor a group and match no host: ansible warns
 * "Could not match supplied host pattern, ignoring: X" for each (an empty group is no mismatch).
 */
export function unmatchedPatterns(inv: PatternTarget, pattern: string): string[] {
  return splitPattern(pattern)
    .map((p) => p.replace(/^[&!]/, ''))
    .filter((p) => p !== 'all' && !inv.hasHost(p) && !inv.groups.has(p))
    .filter((p) => {
      const found = enumerate(inv, p.replace(SUBSCRIPT, '$1'));
      return found.ok && found.value.length === 0 && ![...inv.groups.keys()].some((g) => compiled(p)?.test(g));
    });
}

const compiled = (p: string): RegExp | undefined => {
  const re = compile(p.replace(SUBSCRIPT, '$1'));
  return re.ok ? re.value : undefined;
};

function matchOne(inv: PatternTarget, pattern: string): Result<string[]> {
  const m = pattern[0] === '~' ? null : SUBSCRIPT.exec(pattern);
  const expr = m ? m[1] : pattern;
  const found = enumerate(inv, expr);
  if (!found.ok || !m) return found;
  const hosts = found.value;
  if (hosts.length === 0) return found;
  const err = (): Result<never> => ({ ok: false, error: patternError(`no hosts matched the subscripted pattern '${pattern}'`) });
  if (m[2] !== undefined) {
    const i = Number(m[2]);
    const h = hosts[i < 0 ? hosts.length + i : i];
    return h === undefined ? err() : { ok: true, value: [h] };
  }
  const start = Number(m[3]);
  const end = m[5] ? Number(m[5]) : hosts.length - 1;
  return { ok: true, value: hosts.slice(start, end + 1) };
}

function enumerate(inv: PatternTarget, pattern: string): Result<string[]> {
  const re = compile(pattern);
  if (!re.ok) return re;
  const results: string[] = [];
  const groups = [...inv.groups.keys()].filter((g) => re.value.test(g));
  for (const g of groups) results.push(...inv.groupHosts(g));
  if (groups.length === 0 || pattern[0] === '~' || /[.?*[]/.test(pattern)) {
    results.push(...inv.definedHosts.filter((h) => re.value.test(h)));
  }
  if (results.length === 0 && CONTROLLER.has(pattern)) results.push(pattern); // implicit controller
  return { ok: true, value: results };
}

/** `~regex` (Python re.match: anchored at the start only) or a shell glob (fnmatch). */
function compile(pattern: string): Result<RegExp> {
  try {
    if (pattern[0] === '~') return { ok: true, value: new RegExp(`^(?:${pattern.slice(1)})`) };
    return { ok: true, value: new RegExp(`^${globToRegex(pattern)}$`, 's') };
  } catch {
    return { ok: false, error: patternError(`invalid host pattern: ${pattern}`) };
  }
}

/** Python's fnmatch.translate: * ? [seq] [!seq]; everything else literal. */
export function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', glob[i + 1] === '!' || glob[i + 1] === ']' ? i + 2 : i + 1);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
      if (body[0] === '!') body = '^' + body.slice(1);
      else if (body[0] === '^') body = '\\' + body;
      out += `[${body}]`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

function patternError(message: string): FleetError {
  return fleetError('inventory.pattern', message, {
    hint: 'patterns are device ids, group names, globs (kiosk*), `~regex`, joined with `,` or `:`, with `&group` to intersect and `!group` to exclude',
  });
}
