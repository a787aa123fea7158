/** The Mender management API client: see client.ts for the calls, transport.ts for reliability. */
import { ExitCode, type FleetError } from '../errors/index.js';

export {
  MenderClient,
  MAX_PER_PAGE,
  MAX_ITEMS,
  type ClientOptions,
  type NewDeployment,
  type SelectAttribute,
  type FilterPredicate,
} from './client.js';
export {
  resolveEndpoint,
  resolveServerUrl,
  resolveAuth,
  type OtaAuth,
  type OtaEndpoint,
  type ResolveInput,
} from './config.js';
export { chooseServerUrl, SERVER_URL_HINT, type ServerUrl, type ServerUrlInput } from './server-url.js';
export { Transport, DEFAULTS as TRANSPORT_DEFAULTS, type TransportOptions } from './transport.js';
export { OtaStats, isWrite, type OtaStatsSnapshot } from './stats.js';
export * from './schemas.js';

/**
 * Errors that mean "the OTA server could not be used" end the run with exit code 4: not there,
 * or there but misbehaving (paging without end, a body beyond any bound).
 */
const UNREACHABLE_CODES = new Set(['ota.unreachable', 'ota.unavailable', 'ota.network', 'ota.paging', 'ota.too-large']);

export function exitCodeFor(e: FleetError): number {
  return UNREACHABLE_CODES.has(e.code) ? ExitCode.otaUnreachable : ExitCode.usage;
}
