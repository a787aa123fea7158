/**
 * GitHub's published REST contract, in the project's copy (contract/github.json, the operations
 * fleetplay calls, derived by scripts/derive-contract.mjs from @octokit/openapi) turned into checks for what a client really sent and what a local server answered.
 * Reusable by any test that talks to a stand-in GitHub.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under native ESM its function is the module itself, under ts-jest `.default`.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

/** The project's copy; test/contract/drift.test.ts keeps it equal to what the script derives. */
export const SPEC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'contract', 'github.json');
const SPEC_ID = 'github-rest';

export interface RecordedRequest {
  method: string;
  /** Path as received, without the query string. */
  path: string;
  /** The query string without `?` ("" or absent when there was none). */
  query?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  pointer: string[];
  op: Json;
  pathParams: Record<string, string>;
}

const escapePointer = (s: string) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));

/** Some schemas say `nullable: true` with an enum that lacks null, which ajv refuses to honour. */
function addNullToNullableEnums(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Json;
  if (n.nullable === true && Array.isArray(n.enum) && !n.enum.includes(null)) n.enum.push(null);
  Object.values(n).forEach(addNullToNullableEnums);
}

/** `/repos/{owner}/{repo}/statuses/{sha}` → a regex with one group per parameter. */
function templateRegex(template: string, op: Json): { re: RegExp; names: string[] } {
  const params = (op.parameters ?? []) as Json[];
  // x-multi-segment parameters (a ref such as feature/x) may span path segments.
  const multi = new Set(params.filter((p) => p['x-multi-segment'] === true).map((p) => String(p.name)));
  const names: string[] = [];
  const src = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return multi.has(name) ? '(.+)' : '([^/]+)';
  });
  return { re: new RegExp(`^${src}$`), names };
}

/** Most literal text first, so `/commits/{ref}/statuses` wins over `/commits/{ref}` spanning segments. */
const bySpecificity = (a: string, b: string) => b.replace(/\{[^}]+\}/g, '').length - a.replace(/\{[^}]+\}/g, '').length;

export class GitHubContract {
  readonly spec: Json;
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(specPath = SPEC_PATH) {
    if (!existsSync(specPath))
      throw new Error(`${specPath} not found: run \`node scripts/derive-contract.mjs <reference-dir>\` to derive it`);
    this.spec = JSON.parse(readFileSync(specPath, 'utf8')) as Json;
    addNullToNullableEnums(this.spec);
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
    this.ajv.addSchema(this.spec, SPEC_ID);
  }

  /** The operation a method and path (relative to the API root) address, with its path parameters. */
  findOperation(method: string, path: string): Operation | undefined {
    const paths = this.spec.paths as Record<string, Record<string, Json>>;
    for (const template of Object.keys(paths).sort(bySpecificity)) {
      const op = paths[template]?.[method.toLowerCase()];
      if (!op) continue;
      const { re, names } = templateRegex(template, op);
      const m = re.exec(path);
      if (!m) continue;
      const pathParams = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
      return {
        operationId: String(op.operationId),
        pointer: ['paths', template, method.toLowerCase()],
        op,
        pathParams,
      };
    }
    return undefined;
  }

  private validator(pointer: string[]): ValidateFunction {
    const key = pointer.join('\u0000');
    const known = this.compiled.get(key);
    if (known) return known;
    const v = this.ajv.compile({ $ref: `${SPEC_ID}#/${pointer.map(escapePointer).join('/')}` });
    this.compiled.set(key, v);
    return v;
  }

  private problems(pointer: string[], value: unknown, label: string): string[] {
    const v = this.validator(pointer);
    return v(value) ? [] : (v.errors ?? []).map((e) => `${label}${e.instancePath} ${e.message ?? e.keyword}`);
  }

  /** Everything wrong with a recorded request against the operation it addresses; [] when it conforms. */
  checkRequest(req: RecordedRequest, expectedOperation: string, apiPrefix = ''): string[] {
    if (!req.path.startsWith(apiPrefix)) return [`path ${req.path} is outside the API root ${apiPrefix}`];
    const found = this.findOperation(req.method, req.path.slice(apiPrefix.length));
    if (!found) return [`${req.method} ${req.path} is no operation of the GitHub REST API`];
    if (found.operationId !== expectedOperation)
      return [`${req.method} ${req.path} is ${found.operationId}, not ${expectedOperation}`];
    return [
      ...this.checkParams(found),
      ...this.checkQuery(req, found),
      ...checkHeaders(req, found.op),
      ...this.checkBody(req, found),
    ];
  }

  /** The operation's parameters, resolved, with the pointer to each one's schema. */
  private params(found: Operation): { p: Json; schema: string[] }[] {
    return ((found.op.parameters ?? []) as Json[]).map((p, i) =>
      typeof p.$ref === 'string'
        ? { p: this.resolve(p.$ref), schema: [...refPointer(p.$ref), 'schema'] }
        : { p, schema: [...found.pointer, 'parameters', String(i), 'schema'] },
    );
  }

  private checkParams(found: Operation): string[] {
    return this.params(found).flatMap(({ p, schema }) => {
      if (p.in !== 'path') return [];
      const value = found.pathParams[String(p.name)];
      if (value === undefined || value === '') return [`path parameter ${String(p.name)} missing`];
      return this.problems(schema, this.typed(schema, value), `path parameter ${String(p.name)}`);
    });
  }

  /** Every query parameter sent must be one the operation documents, its value of the documented type. */
  private checkQuery(req: RecordedRequest, found: Operation): string[] {
    const declared = new Map(
      this.params(found)
        .filter(({ p }) => p.in === 'query')
        .map((x) => [String(x.p.name), x.schema]),
    );
    return [...new URLSearchParams(req.query ?? '')].flatMap(([name, value]) => {
      const schema = declared.get(name);
      if (!schema) return [`query parameter ${name} is not one of ${found.operationId}'s`];
      return this.problems(schema, this.typed(schema, value), `query parameter ${name}`);
    });
  }

  /** A path or query value is text on the wire: a number where the schema wants one (`42`, not `4x2`). */
  private typed(schema: string[], value: string): unknown {
    const type = (this.at(schema) as { type?: string }).type;
    return type === 'integer' || type === 'number' ? (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value) : value;
  }

  private checkBody(req: RecordedRequest, found: Operation): string[] {
    const rb = found.op.requestBody as Json | undefined;
    if (!rb) return req.body ? ['operation takes no request body'] : [];
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return rb.required ? ['request body is not JSON'] : [];
    }
    return this.problems([...found.pointer, 'requestBody', 'content', 'application/json', 'schema'], body, 'body');
  }

  /** Problems of a response body against the operation's schema for that status; [] when it conforms. */
  checkResponse(operationId: string, status: number, body: unknown): string[] {
    const found = this.byId(operationId);
    if (!found) return [`no operation ${operationId}`];
    const responses = found.op.responses as Record<string, Json>;
    if (!responses[String(status)]) return [`${operationId} documents no ${status} response`];
    // A response documented without content (a 204) has no body.
    if (!responses[String(status)].content) return body === undefined ? [] : [`${operationId}'s ${status} has no body`];
    return this.problems(
      [...found.pointer, 'responses', String(status), 'content', 'application/json', 'schema'],
      body,
      'response',
    );
  }

  private byId(operationId: string): Omit<Operation, 'pathParams'> | undefined {
    for (const [template, item] of Object.entries(this.spec.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (op && op.operationId === operationId) return { operationId, pointer: ['paths', template, method], op };
      }
    }
    return undefined;
  }

  private resolve(ref: string): Json {
    return this.at(refPointer(ref));
  }

  private at(pointer: string[]): Json {
    return pointer.reduce<Json>((node, key) => node[key] as Json, this.spec);
  }
}

const refPointer = (ref: string): string[] =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** Headers GitHub needs on any authenticated JSON write. */
function checkHeaders(req: RecordedRequest, op: Json): string[] {
  const h = req.headers;
  const out: string[] = [];
  if (!h['user-agent']) out.push('header user-agent missing (GitHub rejects requests without one)');
  if (!/^(token|bearer) \S+$/i.test(h.authorization ?? ''))
    out.push('header authorization is not "token <t>" or "Bearer <t>"');
  if (!String(h.accept ?? '').includes('application/vnd.github'))
    out.push('header accept does not ask for application/vnd.github+json');
  const rb = op.requestBody as { content?: Record<string, unknown> } | undefined;
  if (rb?.content) {
    const type =
      String(h['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    if (!(type in rb.content))
      out.push(`header content-type "${type}" is not one of ${Object.keys(rb.content).join(', ')}`);
  }
  return out;
}
