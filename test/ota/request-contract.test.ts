/**
 * The client's requests, as the server logged them, checked against the Mender OpenAPI spec:
 * every path is an operation of the spec, every query parameter is one the operation declares,
 * every body validates against the operation's request schema (objects closed, so a misspelt
 * field fails).
 */
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import { FACT_ATTRIBUTES } from '../../src/modules/mender/facts.js';
import { bySpecificity, MENDER_SPEC } from '../server/contract.js';
import { testServer, value, type TestServer } from './helpers.js';

type Json = Record<string, unknown>;
interface Op {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
}

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as unknown as new (o: object) => {
  addSchema(s: object, key: string): void;
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null };
  errorsText(e: unknown): string;
};

function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (!node || typeof node !== 'object') return;
  const o = node as Json;
  if (o.properties && !('additionalProperties' in o) && !('allOf' in o || 'oneOf' in o || 'anyOf' in o))
    o.additionalProperties = false;
  for (const v of Object.values(o)) closeObjects(v);
}

let cached: ReturnType<typeof readSpec> | undefined;
const loadSpec = () => (cached ??= readSpec());

function readSpec() {
  const doc = JSON.parse(readFileSync(MENDER_SPEC, 'utf8')) as {
    paths: Record<string, Record<string, Op>>;
    components: Json;
  };
  closeObjects(doc.components);
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema({ components: doc.components }, 'mender');
  const rewrite = (s: unknown): unknown =>
    JSON.parse(JSON.stringify(s).replace(/"#\/components\//g, '"mender#/components/'));
  const paths = Object.entries(doc.paths)
    .map(([template, ops]) => ({
      template,
      ops,
      re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => bySpecificity(a.template, b.template));
  return {
    check(method: string, path: string, query: Record<string, unknown>, body: unknown): string[] {
      const entry = paths.find((p) => p.re.test(path) && p.ops[method.toLowerCase()]);
      if (!entry) return [`${method} ${path}: not an operation of the spec`];
      const op = entry.ops[method.toLowerCase()];
      const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      const errors = Object.keys(query)
        .filter((q) => !declared.has(q))
        .map((q) => `${method} ${entry.template}: query parameter ${q} is not declared`);
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (body !== null && body !== undefined && schema) {
        const validate = ajv.compile(rewrite(schema) as object);
        if (!validate(body)) errors.push(`${method} ${entry.template}: body ${ajv.errorsText(validate.errors)}`);
      }
      return errors;
    },
  };
}

describe('requests follow the Mender OpenAPI spec', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer();
  });
  afterAll(() => srv.close());

  test('every endpoint the client uses', async () => {
    const c = srv.client();
    await srv.admin('DELETE', 'requests');
    value(await c.verifyAccess());
    value(
      await c.searchDevices({
        deviceIds: ['dev-rpi3'],
        attributes: FACT_ATTRIBUTES,
        filters: [{ scope: 'inventory', attribute: 'device_type', type: '$eq', value: 'raspberrypi3' }],
      }),
    );
    const d = value(await c.createDeployment({ name: 'contract', artifact_name: 'os-1.1', devices: ['dev-rpi3'] }));
    value(await c.listDeployments({ status: 'pending', type: 'software', names: ['contract'], ids: [d.id] }));
    value(await c.deploymentDevices(d.id, 'pending'));
    value(await c.deploymentStatistics([d.id]));
    value(await c.deviceDeployments('dev-rpi3', 'pending'));
    value(await c.listArtifacts(['os-1.1']));
    value(await c.abortDeployment(d.id));
    value(await c.abortDeviceDeployments('dev-rpi3'));
    const cfg = value(await c.getDeviceConfig('dev-rpi3'));
    value(await c.setDeviceConfig('dev-rpi3', { a: '1' }));
    value(await c.deployDeviceConfig('dev-rpi3', cfg.deployment_id));
    const spec = loadSpec();
    const seen = await srv.requests();
    expect(seen.length).toBeGreaterThanOrEqual(13);
    expect(seen.flatMap((r) => spec.check(r.method, r.path, r.query, r.body))).toEqual([]);
  });

  test('the check catches a body the spec does not allow', () => {
    const errors = loadSpec().check(
      'POST',
      '/api/management/v1/deployments/deployments',
      {},
      { name: 'x', artifact: 'os', devices: ['a'] },
    );
    expect(errors.join('\n')).toMatch(/artifact_name|additional/);
  });
});
