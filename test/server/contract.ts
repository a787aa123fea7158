/**
 * Response validation against the project's copy of Mender's management API description
 * (contract/mender-management.json, derived by scripts/derive-contract.mjs), built from the spec
 * itself: the description is loaded whole into ajv, and each response is checked against the schema the spec
 * gives for its path, method and status. A status the spec does not list for the operation fails,
 * unless UNDECLARED_BUT_REAL names it. Objects (components and inline response schemas) are closed
 * (no undeclared fields) unless the spec says otherwise, so a misspelt field fails. Usable by any
 * test that talks to a Mender API.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

const here = dirname(fileURLToPath(import.meta.url));
/** The project's copy; test/contract/drift.test.ts keeps it equal to what the script derives. */
export const MENDER_SPEC = resolve(here, '../../contract/mender-management.json');

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, Json>;
}

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as unknown as new (o: object) => {
  addSchema(s: object, key: string): void;
  getSchema(ref: string): (((data: unknown) => boolean) & { errors?: unknown[] | null }) | undefined;
  compile(s: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
  errorsText(e: unknown): string;
};
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: unknown,
) => void;

/** Closes object schemas that list properties and say nothing about extra ones. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (!node || typeof node !== 'object') return;
  const o = node as Json;
  const composite = 'allOf' in o || 'oneOf' in o || 'anyOf' in o;
  if (o.properties && typeof o.properties === 'object' && !('additionalProperties' in o) && !composite)
    o.additionalProperties = false;
  for (const v of Object.values(o)) closeObjects(v);
}

/**
 * (operation, status) pairs that the real Mender server answers although its published spec does
 * not list them for that operation. Anything else undeclared fails the check. Keep this short and
 * true: where our server answers a code that neither the spec nor Mender gives, fix the server.
 */
export const UNDECLARED_BUT_REAL: readonly {
  statuses: readonly number[];
  operations: readonly string[] | 'any';
  why: string;
}[] = [
  {
    why: "Mender's API gateway checks the token before inventory, devauth and deviceconfig see the request; their specs omit the 401 it answers",
    statuses: [401],
    operations: [
      'GET /api/management/v1/inventory/devices',
      'GET /api/management/v1/inventory/devices/{id}',
      'GET /api/management/v1/inventory/devices/{id}/group',
      'PUT /api/management/v1/inventory/devices/{id}/group',
      'DELETE /api/management/v1/inventory/devices/{id}/group/{name}',
      'GET /api/management/v1/inventory/groups',
      'GET /api/management/v1/inventory/groups/{name}/devices',
      'PATCH /api/management/v1/inventory/groups/{name}/devices',
      'DELETE /api/management/v1/inventory/groups/{name}/devices',
      'POST /api/management/v2/inventory/filters/search',
      'GET /api/management/v2/devauth/devices',
      'POST /api/management/v2/devauth/devices',
      'GET /api/management/v2/devauth/devices/count',
      'GET /api/management/v2/devauth/devices/{id}',
      'GET /api/management/v2/devauth/devices/{id}/auth/{aid}/status',
      'PUT /api/management/v2/devauth/devices/{id}/auth/{aid}/status',
      'GET /api/management/v1/deviceconfig/configurations/device/{deviceId}',
      'PUT /api/management/v1/deviceconfig/configurations/device/{deviceId}',
      'POST /api/management/v1/deviceconfig/configurations/device/{deviceId}/deploy',
    ],
  },
  {
    // deployments' handlers: rest_utils.ParsePagination, the 20-per-page cap of a device's
    // history and ListQuery.Validate (status) all answer 400 on these two listings.
    why: 'deployments answers 400 for a bad page, per_page or status query here, though the spec lists no 400',
    statuses: [400],
    operations: [
      'GET /api/management/v1/deployments/deployments/{deployment_id}/devices/list',
      'GET /api/management/v1/deployments/deployments/devices/{id}',
    ],
  },
  {
    // In this server only fault injection (PUT /api/admin/v1/faults) produces them.
    why: "hosted Mender's rate limiter answers 429 and its gateway 502/503/504 on any route",
    statuses: [429, 502, 503, 504],
    operations: 'any',
  },
];

function undeclaredButReal(operation: string, status: number): boolean {
  return UNDECLARED_BUT_REAL.some(
    (a) => a.statuses.includes(status) && (a.operations === 'any' || a.operations.includes(operation)),
  );
}

export interface ContractResult {
  /** The spec path template the request matched, e.g. /api/management/v1/inventory/devices/{id}. */
  template?: string;
  /** Whether the spec lists this status for the operation. */
  declared: boolean;
  errors: string[];
}

export class MenderContract {
  private readonly ajv;
  private readonly components: Json;
  private readonly compiled = new Map<string, ReturnType<MenderContract['ajv']['compile']>>();
  private readonly paths: { template: string; re: RegExp; ops: Record<string, Operation> }[];

  constructor(file = MENDER_SPEC) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      paths: Record<string, Record<string, Operation>>;
      components: Json;
    };
    closeObjects(doc.components);
    // Inline response schemas too (e.g. PATCH /inventory/groups/{name}/devices): the paths' schemas are compiled on their own.
    closeObjects(Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op?.responses)));
    this.components = doc.components;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: doc.components }, 'mender');
    this.paths = Object.entries(doc.paths)
      .map(([template, ops]) => ({
        template,
        ops,
        re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }))
      .sort((a, b) => bySpecificity(a.template, b.template));
  }

  template(path: string): string | undefined {
    return this.paths.find((p) => p.re.test(path))?.template;
  }

  /** Validates one response: body against the schema for its status, and the headers the spec declares. */
  check(method: string, path: string, status: number, body: unknown, headers: Headers): ContractResult {
    const entry = this.paths.find((p) => p.re.test(path) && p.ops[method.toLowerCase()]);
    if (!entry) return { declared: false, errors: [`no operation ${method} ${path} in the spec`] };
    const op = entry.ops[method.toLowerCase()];
    let response = op.responses[String(status)] as Json | undefined;
    const declared = response !== undefined;
    const errors: string[] = [];
    const operation = `${method.toUpperCase()} ${entry.template}`;
    if (!declared && !(status >= 400 && undeclaredButReal(operation, status)))
      errors.push(`status ${status} is not declared for ${operation}`);
    if (response && typeof response.$ref === 'string') response = this.resolve(response.$ref);
    let schema: Json | undefined;
    if (response) {
      const content = response.content as Record<string, { schema?: Json }> | undefined;
      schema =
        content?.['application/json']?.schema ??
        content?.['application/jwt']?.schema ??
        content?.['text/plain']?.schema;
      // In this order whatever order the spec lists them in (the project's copy sorts keys).
      const declaredHeaders = (response.headers as Json | undefined) ?? {};
      for (const h of ['X-Total-Count', 'Link', 'Location']) {
        if (h in declaredHeaders && !headers.has(h)) errors.push(`missing header ${h}`);
      }
    } else if (status >= 400) {
      // Even an allowed undeclared status carries Mender's error body.
      schema = { $ref: 'mender#/components/schemas/Error' };
    }
    if (schema) {
      const key = JSON.stringify(schema);
      let validate = this.compiled.get(key);
      if (!validate) this.compiled.set(key, (validate = this.ajv.compile(rebase(schema))));
      if (!validate(body)) errors.push(this.ajv.errorsText(validate.errors));
    } else if (body !== undefined && body !== '') {
      errors.push(`the spec declares no body for ${status}, got ${JSON.stringify(body).slice(0, 80)}`);
    }
    return { template: entry.template, declared, errors };
  }

  private resolve(ref: string): Json {
    return ref
      .slice(2)
      .split('/')
      .reduce<Json>((o, k) => o[k] as Json, { components: this.components });
  }
}

const isParam = (segment: string) => segment.startsWith('{');

/**
 * Which template a path matches first, as Mender's routers decide it and not by the order of
 * the spec's keys: more literal segments first, then a literal segment before a parameter at
 * the first place they differ (…/deployments/devices/{id} before …/deployments/{id}/devices).
 */
export function bySpecificity(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  const statics = (s: string[]) => s.filter((x) => x && !isParam(x)).length;
  const byCount = statics(sb) - statics(sa);
  if (byCount !== 0) return byCount;
  const at = sa.findIndex((x, i) => isParam(x) !== isParam(sb[i] ?? '{'));
  if (at >= 0) return isParam(sa[at]) ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Inline schemas use `#/components/...` refs; point them into the registered document. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"mender#/')) as Json;
}
