import jsyaml from 'js-yaml';

/**
 * YAML values as PyYAML (and so ansible) resolves them: the one set of YAML 1.1 scalar rules for
 * playbooks (src/engine/yaml.ts, through `resolvePlain`) and inventories (`loadValue`). js-yaml
 * parses a 100k-host inventory about 7× faster than `yaml`, which fleetplay keeps for what needs
 * positions and comments (playbooks, error messages, editing).
 */
const types = (jsyaml as unknown as { types: Record<'merge' | 'binary' | 'omap' | 'pairs' | 'set', jsyaml.Type> })
  .types;

// PyYAML's implicit resolvers (yaml/resolver.py), YAML 1.1.
const NULL = /^(?:~|null|Null|NULL|)$/;
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const scalar = (tag: string, test: RegExp, construct: (s: string) => unknown) =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (s: string | null) => test.test(s ?? ''),
    construct: (s: string | null) => construct(s ?? ''),
  });

/** Sign, then base-60 digits (1:20 = 80) or a prefixed base, as PyYAML's constructors read them. */
function signed(s: string, body: (digits: string) => number): number {
  const clean = s.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  return sign * body(clean.replace(/^[-+]/, ''));
}

const TIMESTAMP =
  /^(?:([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

/** A timestamp as ansible prints PyYAML's date/datetime: ISO 8601, microseconds only when non-zero. */
function constructTimestamp(s: string): string {
  const m = TIMESTAMP.exec(s)!;
  if (m[1]) return s;
  const p2 = (x: string | undefined) => (x ?? '0').padStart(2, '0');
  const micro = (m[10] ?? '').slice(0, 6).padEnd(6, '0');
  const frac = /[1-9]/.test(micro) ? `.${micro}` : '';
  const tz = m[11] === undefined ? '' : m[11] === 'Z' ? '+00:00' : tzOffset(m[11]);
  return `${m[4]}-${p2(m[5])}-${p2(m[6])}T${p2(m[7])}:${m[8]}:${m[9]}${frac}${tz}`;
}

function tzOffset(tz: string): string {
  const [h, mm] = tz.slice(1).split(':');
  return `${tz[0]}${h.padStart(2, '0')}:${mm ?? '00'}`;
}

const sexagesimal = (d: string): number => d.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);

function constructInt(s: string): number {
  return signed(s, (d) => {
    if (d.startsWith('0b')) return parseInt(d.slice(2), 2);
    if (d.startsWith('0x')) return parseInt(d.slice(2), 16);
    if (d.includes(':')) return sexagesimal(d);
    if (d.length > 1 && d.startsWith('0')) return parseInt(d, 8);
    return parseInt(d, 10);
  });
}

function constructFloat(s: string): number {
  const lower = s.toLowerCase();
  if (lower.endsWith('.nan')) return NaN;
  if (lower.endsWith('.inf')) return s.startsWith('-') ? -Infinity : Infinity;
  return signed(s, (d) => (d.includes(':') ? sexagesimal(d) : parseFloat(d)));
}

/** PyYAML's implicit resolvers in its order: the first whose pattern matches decides the type. */
const IMPLICIT: [tag: string, test: RegExp, construct: (s: string) => unknown][] = [
  // one type per tag: js-yaml keeps only the last of two with the same tag
  ['bool', new RegExp(`${TRUE.source}|${FALSE.source}`), (s) => TRUE.test(s)],
  ['int', INT, constructInt],
  ['float', FLOAT, constructFloat],
  ['null', NULL, () => null],
  ['timestamp', TIMESTAMP, constructTimestamp],
];

/** The value of an untagged plain scalar's text, as PyYAML resolves it; anything else stays a string. */
export function resolvePlain(text: string): unknown {
  for (const [, test, construct] of IMPLICIT) if (test.test(text)) return construct(text);
  return text;
}

/** Timestamps become strings, as ansible-inventory prints them. */
export const PYYAML_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [...IMPLICIT.map(([tag, test, construct]) => scalar(tag, test, construct)), types.merge],
  explicit: [types.binary, types.omap, types.pairs, types.set],
});

/** The value of a YAML text, or js-yaml's complaint (the slow path then says it better). */
export function loadValue(
  text: string,
): { ok: true; value: unknown } | { ok: false; message: string; line?: number; column?: number } {
  try {
    return { ok: true, value: jsyaml.load(text, { schema: PYYAML_SCHEMA }) };
  } catch (e) {
    const mark = (e as jsyaml.YAMLException).mark as jsyaml.Mark | undefined;
    const reason = (e as jsyaml.YAMLException).reason ?? String(e);
    return { ok: false, message: reason, ...(mark ? { line: mark.line + 1, column: mark.column + 1 } : {}) };
  }
}
