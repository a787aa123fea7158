/**
 * OTA answers that break the Mender API contract, each on one endpoint of a `fleetplay run` of the
 * sample fleet (kiosk-next follows main, so every read of the run is made): the run must name the
 * endpoint and what the server sent, say what to check, and write nothing.
 */
import { ExitCode } from '../../src/errors/index.js';
import type { BadInput } from './harness.js';
import type { Answer, Misbehaviour } from './ota-proxy.js';

const SEARCH = /\/inventory\/filters\/search$/;
const DEPLOYMENTS = /\/v2\/deployments\/deployments$/;
const ARTIFACTS = /\/deployments\/artifacts\/list$/;
const CONFIG = /\/deviceconfig\/configurations\/device\/[^/]+$/;
const LOGIN = /\/useradm\/auth\/login$/;
const SEARCH_OP = 'POST /api/management/v2/inventory/filters/search';
const JSON_TYPE = { 'content-type': 'application/json' };
const LOGIN_ENV = { MENDER_ACCESS_TOKEN: '', MENDER_USER: 'ops@example.org', MENDER_PASSWORD: 'fleet-ops-pw' };

type Alter = (real: unknown) => Answer;
/** The real JSON answer changed by `f` (a list's items, an object's fields). */
const altered =
  (f: (real: unknown) => unknown): Alter =>
  (real) => ({ status: 200, headers: JSON_TYPE, body: JSON.stringify(f(real)) });
const items =
  (f: (item: Record<string, unknown>) => unknown): Alter =>
  (real) =>
    altered((r) => (r as Record<string, unknown>[]).map(f))(real);

const on = (method: string, path: RegExp, answer: Misbehaviour['answer']): Misbehaviour => ({ method, path, answer });

interface OtaCase {
  name: string;
  ota: Misbehaviour;
  exit: number;
  says: (string | RegExp)[];
  env?: Record<string, string>;
  was?: string;
}

const ota = (c: OtaCase): BadInput => ({ kind: 'ota', args: ['run', '--mode', 'run'], ...c });
const failed = ExitCode.hostFailed;

const notJson: OtaCase[] = [
  {
    name: 'search: truncated JSON',
    ota: on('POST', SEARCH, { status: 200, headers: JSON_TYPE, body: '[{"id":"abc","attr' }),
    exit: failed,
    says: [`${SEARCH_OP}: OTA server`, 'answered HTTP 200 with truncated or malformed JSON (18 bytes, ending'],
  },
  {
    name: 'search: a null body',
    ota: on('POST', SEARCH, { status: 200, headers: JSON_TYPE, body: 'null' }),
    exit: failed,
    says: ['answered HTTP 200 with a null body (JSON `null`), where the Mender API sends JSON'],
  },
  {
    name: 'search: an empty body',
    ota: on('POST', SEARCH, { status: 200, headers: JSON_TYPE, body: '' }),
    exit: failed,
    says: ['answered HTTP 200 with an empty body, where the Mender API sends JSON'],
  },
  {
    name: 'search: an HTML page',
    ota: on('POST', SEARCH, {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<!doctype html><p>hi</p>',
    }),
    exit: failed,
    says: ['answered HTTP 200 with an HTML page (content-type text/html)'],
  },
  {
    name: 'search: text/plain',
    ota: on('POST', SEARCH, { status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK' }),
    exit: failed,
    says: ['answered HTTP 200 with content-type text/plain and text that is not JSON'],
  },
  {
    name: 'search: an empty list (the server knows none of the devices)',
    ota: on('POST', SEARCH, { status: 200, headers: JSON_TYPE, body: '[]' }),
    exit: ExitCode.otaUnreachable,
    says: [
      'device 854df144-28aa-4e50-9225-ca5d348354b7 is not known to the OTA server',
      'check the host name (or mender_device_id) and that the device is accepted',
    ],
  },
  {
    name: 'deployments: truncated JSON',
    ota: on('GET', DEPLOYMENTS, { status: 200, headers: JSON_TYPE, body: '[{"id":' }),
    exit: failed,
    says: ['GET /api/management/v2/deployments/deployments: OTA server', 'truncated or malformed JSON'],
  },
  {
    name: 'artifacts: a null body',
    ota: on('GET', ARTIFACTS, { status: 200, headers: JSON_TYPE, body: 'null' }),
    exit: failed,
    says: ['GET /api/management/v1/deployments/artifacts/list: OTA server', 'a null body (JSON `null`)'],
  },
  {
    name: 'device configuration: an HTML page',
    ota: on('GET', CONFIG, { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>login</html>' }),
    exit: failed,
    says: ['GET /api/management/v1/deviceconfig/configurations/device/{id}: OTA server', 'an HTML page'],
  },
];

const statuses: OtaCase[] = [
  {
    name: 'search: 429 with a Retry-After beyond the wait cap',
    ota: on('POST', SEARCH, { status: 429, headers: { 'retry-after': '3600' } }),
    exit: ExitCode.otaUnreachable,
    says: [
      'answered HTTP 429 (too many requests) and asked to wait 3600 s (Retry-After: 3600), longer than fleetplay waits (120 s)',
      'mender_api.max_retry_after_ms: 3600000 in group_vars/all.yml',
    ],
    was: '"answered HTTP 429 (after 1 attempts)"',
  },
  {
    name: 'search: 503 with a Retry-After date a day away',
    ota: on('POST', SEARCH, {
      status: 503,
      headers: { 'retry-after': new Date(Date.now() + 86_400_000).toUTCString() },
    }),
    exit: ExitCode.otaUnreachable,
    says: [/answered HTTP 503 and asked to wait 86\d{3} s \(Retry-After: .+ GMT\), longer than fleetplay waits/],
    was: '"answered HTTP 503 (after 1 attempts)"',
  },
  {
    name: 'search: 301 without Location',
    ota: on('POST', SEARCH, { status: 301 }),
    exit: ExitCode.usage,
    says: [
      'answered HTTP 301 redirecting to (no Location); fleetplay follows no redirects',
      'the server URL probably needs https:// or a path fix',
    ],
    was: 'hint: "give the server\'s final URL, not one that redirects"',
  },
  {
    name: 'search: 301 to another server',
    ota: on('POST', SEARCH, {
      status: 301,
      headers: { location: 'https://mender.example.org/api/management/v2/inventory/filters/search' },
    }),
    exit: ExitCode.usage,
    says: ['the server moved permanently: set the server URL to https://mender.example.org'],
  },
  {
    name: 'search: 302 to https',
    ota: on('POST', SEARCH, {
      status: 302,
      headers: { location: 'https://127.0.0.1/api/management/v2/inventory/filters/search' },
    }),
    exit: ExitCode.usage,
    says: [
      'answered HTTP 302 redirecting to https://127.0.0.1/',
      'the server wants https://: if that is the Mender server, set the server URL to https://127.0.0.1',
    ],
    was: 'hint without https',
  },
  {
    name: 'search: 302 to a login page',
    ota: on('POST', SEARCH, { status: 302, headers: { location: '/ui/login' } }),
    exit: ExitCode.usage,
    says: ['answered HTTP 302 redirecting to /ui/login', 'a path below the root, or a login page in front of it'],
    was: 'a hint that did not say what the redirect means (a path, a login page)',
  },
  {
    name: 'search: 307 to another host',
    ota: on('POST', SEARCH, { status: 307, headers: { location: 'http://10.0.0.9:8080/x' } }),
    exit: ExitCode.usage,
    says: ['it points to another server (http://10.0.0.9:8080)'],
    was: 'a hint that did not name where it pointed',
  },
  {
    name: 'search: 404 (no such endpoint)',
    ota: on('POST', SEARCH, { status: 404, headers: JSON_TYPE, body: '{"error":"not found"}' }),
    exit: failed,
    says: [`${SEARCH_OP}: OTA server`, 'answered HTTP 404: not found', 'the server has no such endpoint'],
    was: 'no hint',
  },
  {
    name: 'artifacts: 404 as an HTML page',
    ota: on('GET', ARTIFACTS, { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' }),
    exit: ExitCode.usage,
    says: [
      'answered GET /api/management/v1/deployments/artifacts/list with HTTP 404 and an HTML page, not the Mender management API',
    ],
  },
  {
    name: 'search: 401',
    ota: on('POST', SEARCH, { status: 401, headers: JSON_TYPE, body: '{"error":"unauthorized"}' }),
    exit: ExitCode.usage,
    says: ['(HTTP 401): token wrong or lacking permission', 'check MENDER_ACCESS_TOKEN'],
  },
  {
    name: 'deployments: 403',
    ota: on('GET', DEPLOYMENTS, { status: 403, headers: JSON_TYPE, body: '{"error":"forbidden"}' }),
    exit: ExitCode.usage,
    says: [
      'refused the request GET /api/management/v2/deployments/deployments (HTTP 403): token wrong or lacking permission',
    ],
  },
  {
    name: 'search: 400 with a Mender error',
    ota: on('POST', SEARCH, { status: 400, headers: JSON_TYPE, body: '{"error":"bad filter","request_id":"r1"}' }),
    exit: failed,
    says: [`${SEARCH_OP}: OTA server`, 'answered HTTP 400: bad filter'],
  },
  {
    name: 'search: 501',
    ota: on('POST', SEARCH, { status: 501, headers: JSON_TYPE, body: '{"error":"not implemented"}' }),
    exit: failed,
    says: ['answered HTTP 501: not implemented'],
  },
];

const login: OtaCase[] = [
  {
    name: 'login: an HTML login page',
    env: LOGIN_ENV,
    ota: on('POST', LOGIN, {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><form>Sign in</form></html>',
    }),
    exit: failed,
    says: [
      'POST /api/management/v1/useradm/auth/login: OTA server',
      "answered HTTP 200 with an HTML page (content-type text/html), not a token: Mender's login answers with a JWT",
      "a proxy's or SSO login page?",
    ],
    was: 'the page was taken as the token, later "token wrong"',
  },
  {
    name: 'login: a JSON object',
    env: LOGIN_ENV,
    ota: on('POST', LOGIN, { status: 200, headers: JSON_TYPE, body: '{"token": 1}' }),
    exit: failed,
    says: ['answered HTTP 200 with JSON (content-type application/json), not a token'],
    was: '"the login answer is not a token" (no endpoint answer, no content type)',
  },
  {
    name: 'login: plain text that is no JWT',
    env: LOGIN_ENV,
    ota: on('POST', LOGIN, { status: 200, headers: { 'content-type': 'text/plain' }, body: 'welcome' }),
    exit: failed,
    says: ['answered HTTP 200 with content-type text/plain and text that is not JSON, not a token'],
    was: 'taken as the token, later "token wrong"',
  },
  {
    name: 'login: an empty answer',
    env: LOGIN_ENV,
    ota: on('POST', LOGIN, { status: 200, headers: { 'content-type': 'application/jwt' } }),
    exit: failed,
    says: ['POST /api/management/v1/useradm/auth/login', 'not a token'],
  },
  {
    name: 'login: 302 to an SSO page',
    env: LOGIN_ENV,
    ota: on('POST', LOGIN, { status: 302, headers: { location: 'https://sso.example.org/login' } }),
    exit: ExitCode.usage,
    says: [
      'answered HTTP 302 redirecting to https://sso.example.org/login',
      'it points to another server (https://sso.example.org)',
    ],
    was: 'a hint that did not name where it pointed',
  },
  {
    name: 'login: 429 with a Retry-After beyond the wait cap',
    env: LOGIN_ENV,
    ota: on('POST', LOGIN, { status: 429, headers: { 'retry-after': '7200' } }),
    exit: ExitCode.otaUnreachable,
    says: ['POST /api/management/v1/useradm/auth/login: OTA server', 'asked to wait 7200 s (Retry-After: 7200)'],
    was: 'retried at once 6 times, then "HTTP 429 (after 7 attempts)"',
  },
];

const fields: OtaCase[] = [
  {
    name: 'search: a device id that is a number',
    ota: on(
      'POST',
      SEARCH,
      items((d) => ({ ...d, id: 5 })),
    ),
    exit: failed,
    says: [`${SEARCH_OP}: unexpected response from OTA server`, 'at 0.id (5): Invalid input: expected string'],
    was: 'no value shown: "at 0.id: … received number"',
  },
  {
    name: 'search: attributes that are a mapping',
    ota: on(
      'POST',
      SEARCH,
      items((d) => ({ ...d, attributes: { device_type: 'x' } })),
    ),
    exit: failed,
    says: ['at 0.attributes ({', 'Invalid input: expected array, received object'],
    was: 'no value shown',
  },
  {
    name: 'search: an object instead of a list',
    ota: on(
      'POST',
      SEARCH,
      altered((r) => ({ devices: r })),
    ),
    exit: failed,
    says: [`${SEARCH_OP}: unexpected response from OTA server`, 'expected array'],
  },
  {
    name: 'search: an attribute without a name',
    ota: on(
      'POST',
      SEARCH,
      items((d) => ({ ...d, attributes: [{ scope: 'inventory', value: 'x' }] })),
    ),
    exit: failed,
    says: ['at 0.attributes.0.name (missing): Invalid input: expected string'],
    was: 'no value shown',
  },
  {
    name: 'deployments: an object instead of a list',
    ota: on('GET', DEPLOYMENTS, { status: 200, headers: JSON_TYPE, body: '{"a":1}' }),
    exit: failed,
    says: ['GET /api/management/v2/deployments/deployments: unexpected response from OTA server', 'expected array'],
  },
  {
    name: 'deployments: a deployment id that is a number',
    ota: on('GET', DEPLOYMENTS, {
      status: 200,
      headers: JSON_TYPE,
      body: '[{"id":7,"name":"x","artifact_name":"a","status":"finished","created":"2026-01-01T00:00:00Z"}]',
    }),
    exit: failed,
    says: ['GET /api/management/v2/deployments/deployments: unexpected response', 'at 0.id (7)'],
    was: 'no value shown',
  },
  {
    name: 'artifacts: a name that is a number',
    ota: on(
      'GET',
      ARTIFACTS,
      items((a) => ({ ...a, name: 1 })),
    ),
    exit: failed,
    says: ['GET /api/management/v1/deployments/artifacts/list: unexpected response', 'at 0.name (1)'],
    was: 'no value shown',
  },
  {
    name: 'artifacts: a list of strings',
    ota: on('GET', ARTIFACTS, { status: 200, headers: JSON_TYPE, body: '["fleet-os-1.1.0-raspberrypi4"]' }),
    exit: failed,
    says: [
      'GET /api/management/v1/deployments/artifacts/list: unexpected response',
      'at 0 ("fleet-os-1.1.0-raspberrypi4")',
    ],
    was: 'no value shown',
  },
  {
    name: 'device configuration: configured values that are numbers',
    ota: on('GET', CONFIG, { status: 200, headers: JSON_TYPE, body: '{"id":"x","configured":{"a":1},"reported":{}}' }),
    exit: failed,
    says: [
      'GET /api/management/v1/deviceconfig/configurations/device/{id}: unexpected response',
      'at configured.a (1)',
    ],
    was: 'no value shown',
  },
  {
    name: 'device configuration: a list',
    ota: on('GET', CONFIG, { status: 200, headers: JSON_TYPE, body: '[]' }),
    exit: failed,
    says: ['GET /api/management/v1/deviceconfig/configurations/device/{id}: unexpected response', 'expected object'],
  },
];

export const otaCorpus: BadInput[] = [...notJson, ...statuses, ...login, ...fields].map(ota);
