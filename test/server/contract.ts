/**
 * Response validation against ../shared/reference/mender-openapi.yaml, built from the spec itself:
 * the YAML is loaded whole into ajv, and each response is checked against the schema the spec
 * gives for its path, method and status. Objects are closed (no undeclared fields) unless the
 * spec says otherwise, so a misspelt field fails. Usable by any test that talks to a Mender API.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
/** Read in place, never copied into the tree; FLEETPLAY_REFERENCE_DIR for a checkout elsewhere. */
export const MENDER_SPEC = resolve(process.env.FLEETPLAY_REFERENCE_DIR ?? resolve(here, '../../../shared/reference'), 'mender-openapi.yaml');

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, Json>;
}

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as unknown as new (o: object) => {
  addSchema(s: object, key: string): void;
  getSchema(ref: string): ((data: unknown) => boolean) & { errors?: unknown[] | null } | undefined;
  compile(s: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
  errorsText(e: unknown): string;
};
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

/** Closes object schemas that list properties and say nothing about extra ones. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (!node || typeof node !== 'object') return;
  const o = node as Json;
  const composite = 'allOf' in o || 'oneOf' in o || 'anyOf' in o;
  if (o.properties && typeof o.properties === 'object' && !('additionalProperties' in o) && !composite) o.additionalProperties = false;
  for (const v of Object.values(o)) closeObjects(v);
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
  private readonly paths: { template: string; re: RegExp; ops: Record<string, Operation>; statics: number }[];

  constructor(file = MENDER_SPEC) {
    const doc = parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Operation>>; components: Json };
    closeObjects(doc.components);
    this.components = doc.components;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: doc.components }, 'mender');
    this.paths = Object.entries(doc.paths)
      .map(([template, ops]) => ({
        template,
        ops,
        re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        statics: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      }))
      .sort((a, b) => b.statics - a.statics);
  }

  template(path: string): string | undefined {
    return this.paths.find((p) => p.re.test(path))?.template;
  }

  /** Validates one response: body against the schema for its status, and the headers the spec declares. */
  check(method: string, path: string, status: number, body: unknown, headers: Headers): ContractResult {
    const entry = this.paths.find((p) => p.re.test(path) && p.ops[method.toLowerCase()]);
    if (!entry) return { declared: false, errors: [`no operation ${method} ${path} in the spec`] };
    const op = entry.ops[method.toLowerCase()]!;
    let response = op.responses[String(status)] as Json | undefined;
    const declared = response !== undefined;
    const errors: string[] = [];
    if (response && typeof response.$ref === 'string') response = this.resolve(response.$ref);
    let schema: Json | undefined;
    if (response) {
      const content = response.content as Record<string, { schema?: Json }> | undefined;
      schema = content?.['application/json']?.schema ?? content?.['application/jwt']?.schema ?? content?.['text/plain']?.schema;
      for (const h of Object.keys((response.headers as Json | undefined) ?? {})) {
        if (['X-Total-Count', 'Link', 'Location'].includes(h) && !headers.has(h)) errors.push(`missing header ${h}`);
      }
    } else if (status >= 400) {
      // Statuses the spec leaves out (401 on inventory routes, faults) still carry Mender's error body.
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

/** Inline schemas use `#/components/...` refs; point them into the registered document. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"mender#/')) as Json;
}
