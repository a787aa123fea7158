/**
 * OTA request counts for the run report: total, per endpoint, writes, retries, and per device
 * (the run's requests divided by the devices it handled — "requests per device" at a glance).
 */
import { isWrite, type OtaStatsSnapshot } from '../ota/index.js';
import type { RunReport } from '../engine/report.js';

export function apiCounts(s: OtaStatsSnapshot, devices: number): RunReport['api'] {
  const per = (n: number) => (devices > 0 ? round(n / devices) : 0);
  let writes = 0;
  for (const [op, n] of Object.entries(s.byEndpoint)) if (isWrite(op)) writes += n;
  return {
    requests: s.requests,
    byEndpoint: s.byEndpoint,
    writes,
    retries: s.retries,
    ...(s.budgets ? { budget: s.budgets } : {}),
    perDevice: {
      devices,
      requests: per(s.requests),
      byEndpoint: Object.fromEntries(Object.entries(s.byEndpoint).map(([op, n]) => [op, per(n)])),
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
