/**
 * The fleet spec: what the embedded server starts with (artifacts, devices, timing, planned
 * failures). Written as YAML or JSON; validated with zod so errors point at file:line:column.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';

const DeviceSpec = z.strictObject({
  /** Mender device id; derived from `name` (stable UUID) when absent. */
  id: z.string().min(1).optional(),
  /** Readable name, served as the `name` attribute in the `tags` scope (as Mender does). */
  name: z.string().min(1).optional(),
  device_type: z.string().min(1),
  /** Installed image; also `rootfs-image.version`. */
  artifact_name: z.string().min(1),
  group: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  /** More inventory-scope attributes the device reports (e.g. subscribed_branch). */
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).default({}),
  status: z.enum(['accepted', 'pending', 'rejected', 'preauthorized']).default('accepted'),
  online: z.boolean().default(true),
  /** Every software deployment to this device fails. */
  fail: z.boolean().default(false),
});

const ArtifactSpec = z.strictObject({
  name: z.string().min(1),
  device_types_compatible: z.array(z.string().min(1)).min(1),
  id: z.string().optional(),
  size: z.number().int().nonnegative().default(0),
  description: z.string().optional(),
});

const GenerateSpec = z.strictObject({
  count: z.number().int().nonnegative(),
  device_types: z.array(z.string().min(1)).min(1).default(['raspberrypi4']),
  artifact_name: z.string().min(1).default('fleet-os-1.0.0'),
  /** Devices are spread round-robin over these groups. */
  groups: z.array(z.string()).default([]),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

export const FleetSpecSchema = z.strictObject({
  artifacts: z.array(ArtifactSpec).default([]),
  devices: z.array(DeviceSpec).default([]),
  generate: GenerateSpec.optional(),
  /** Seconds of simulated time each step takes. */
  timing: z
    .strictObject({
      poll_interval: z.number().positive().default(30),
      download: z.number().nonnegative().default(20),
      install: z.number().nonnegative().default(20),
      reboot: z.number().nonnegative().default(30),
    })
    .default({ poll_interval: 30, download: 20, install: 20, reboot: 30 }),
  failures: z
    .strictObject({
      /** Share of software device deployments that fail (deterministic per deployment+device). */
      rate: z.number().min(0).max(1).default(0),
      devices: z.array(z.string()).default([]),
      /** Artifact names that fail everywhere (a bad release). */
      artifacts: z.array(z.string()).default([]),
      /**
       * A bad configuration: a configuration deployment fails on every device it reaches when the
       * configuration it deploys holds every key = value of one of these (the device keeps reporting
       * its old configuration, as a Mender client whose configure script failed).
       */
      configurations: z.array(z.record(z.string(), z.string())).default([]),
    })
    .default({ rate: 0, devices: [], artifacts: [], configurations: [] }),
  /** Start of the simulated clock (ISO date), default now. */
  start_time: z.string().datetime().optional(),
});

export type FleetSpec = z.input<typeof FleetSpecSchema>;
export type ParsedFleetSpec = z.infer<typeof FleetSpecSchema>;
export type DeviceSpec = z.infer<typeof DeviceSpec>;
export type ArtifactSpec = z.infer<typeof ArtifactSpec>;

/** A stable UUID-shaped id for a named device, so a spec without ids gives the same ids every run. */
export function deviceIdFor(name: string): string {
  const h = createHash('sha1').update(`fleetplay-device:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Ids of generated devices: readable and in order. */
export function generatedDeviceId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** The device type of generated device `i` (from 1, as its id): round-robin over the spec's types. */
export function generatedDeviceType(types: readonly string[], i: number): string {
  return types[(i - 1) % types.length];
}

export function parseFleetSpec(
  value: unknown,
  file = '<fleet spec>',
  locate?: (path: PropertyKey[]) => { line: number; column: number } | undefined,
): Result<ParsedFleetSpec, FleetError[]> {
  const r = FleetSpecSchema.safeParse(value);
  if (r.success) return ok(r.data);
  return err(
    r.error.issues.map((i) => {
      const path = i.path.map(String).join('.');
      const at = locate?.(i.path);
      return fleetError('server.spec', `${path ? `${path}: ` : ''}${i.message}`, {
        file,
        line: at?.line,
        column: at?.column,
        hint: hintFor(i),
      });
    }),
  );
}

function hintFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `remove ${issue.keys.join(', ')}; allowed keys are listed in docs/server.md, "Fleet spec"`;
  if (issue.code === 'invalid_type') return `write a value of type ${issue.expected}`;
  return 'see the fleet spec format in docs/server.md, "Fleet spec"';
}

/** Reads a YAML/JSON fleet spec file; errors carry line and column of the offending node. */
export function loadFleetSpec(file: string): Result<ParsedFleetSpec, FleetError[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return err([
      fleetError('server.spec-unreadable', `cannot read fleet spec: ${(e as Error).message}`, {
        file,
        hint: 'give the path of a YAML or JSON fleet spec',
      }),
    ]);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    return err(
      doc.errors.map((e) => {
        const p = lc.linePos(e.pos[0]);
        return fleetError('server.spec-yaml', e.message.split('\n')[0], {
          file,
          line: p.line,
          column: p.col,
          hint: 'fix the YAML syntax',
        });
      }),
    );
  }
  const locate = (path: PropertyKey[]) => {
    // The deepest existing node on the path: a missing key is reported at its parent.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as
        { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) {
        const p = lc.linePos(node.range[0]);
        return { line: p.line, column: p.col };
      }
    }
    return undefined;
  };
  return parseFleetSpec(doc.toJS(), file, locate);
}
