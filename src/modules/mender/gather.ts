/**
 * Gathers facts for many devices with as few requests as the API allows: one inventory search
 * per 500 devices, one list of the deployments in flight, one device list per such deployment,
 * and (configuration having no bulk read in the API) one configuration read per device, whose
 * deployment states then come back in bulk through statistics/list.
 */
import { ok, type Result } from '../../errors/index.js';
import type { MenderClient } from '../../ota/client.js';
import type { Deployment, DeviceConfiguration, DeviceInDeployment } from '../../ota/schemas.js';
import {
  configFacts,
  FACT_ATTRIBUTES,
  factsFromInventory,
  inFlightByDevice,
  markGathered,
  stillDeploying,
  failedOn,
  type MenderFacts,
} from './facts.js';

export interface Gathered {
  facts: Map<string, MenderFacts>;
  /** Asked-for device ids the server does not know. */
  unknown: string[];
}

/**
 * `known`: facts an earlier task of this run read, whose inventory part is taken as it is (only
 * the devices missing from it are searched); deployments in flight and configurations are read
 * again in any case.
 */
export async function gatherFacts(
  client: MenderClient,
  deviceIds: string[],
  opts: { config: boolean; known?: Map<string, MenderFacts> },
): Promise<Result<Gathered>> {
  const search = opts.known ? deviceIds.filter((id) => !opts.known!.has(id)) : deviceIds;
  const [inv, flight] = await Promise.all([
    client.searchDevices({ deviceIds: search, attributes: FACT_ATTRIBUTES }),
    softwareInFlight(client),
  ]);
  if (!inv.ok) return inv;
  if (!flight.ok) return flight;
  const facts = new Map<string, MenderFacts>();
  const add = (f: MenderFacts) => {
    f.deployments = flight.value.get(f.id) ?? [];
    facts.set(f.id, f);
  };
  for (const dev of inv.value) add(factsFromInventory(dev));
  for (const id of deviceIds) {
    const k = opts.known?.get(id);
    // A fresh object (its own keys only, not the marks of the old one): new data goes into it.
    // (Not a spread plus a key: on node 20 that gives every copy a hidden class of its own.)
    if (k)
      add(markGathered(Object.assign(Object.fromEntries(Object.entries(k)) as MenderFacts, { config: undefined })));
  }
  if (opts.config) {
    const cfg = await configsOf(client, [...facts.keys()]);
    if (!cfg.ok) return cfg;
    for (const [id, c] of cfg.value) facts.get(id)!.config = c;
  }
  return ok({ facts, unknown: deviceIds.filter((id) => !facts.has(id)) });
}

async function softwareInFlight(client: MenderClient): Promise<Result<Map<string, MenderFacts['deployments']>>> {
  const lists = await Promise.all(
    (['pending', 'inprogress'] as const).map((status) => client.listDeployments({ status, type: 'software' })),
  );
  const deployments: Deployment[] = [];
  for (const l of lists) {
    if (!l.ok) return l;
    deployments.push(...l.value);
  }
  const unique = [...new Map(deployments.map((d) => [d.id, d])).values()];
  const devices = new Map<string, DeviceInDeployment[]>();
  const answers = await Promise.all(unique.map(async (d) => [d.id, await client.deploymentDevices(d.id)] as const));
  for (const [id, r] of answers) {
    if (!r.ok) return r;
    devices.set(id, r.value);
  }
  return ok(inFlightByDevice(unique, devices));
}

async function configsOf(
  client: MenderClient,
  ids: string[],
): Promise<Result<Map<string, NonNullable<MenderFacts['config']>>>> {
  const read = await client.getDeviceConfigs(ids);
  if (!read.ok) return read;
  const configs = read.value;
  // Whether a deployment is in flight only matters while the device does not report what is
  // configured: a converged fleet (100k devices) needs no statistics at all.
  const depIds = [...new Set([...configs.values()].filter(unsettled).map((c) => c.deployment_id!))];
  const stats = depIds.length ? await client.deploymentStatistics(depIds) : ok([]);
  if (!stats.ok) return stats;
  const byId = new Map(stats.value.map((s) => [s.id, s.stats as unknown as Record<string, number>]));
  const out = new Map<string, NonNullable<MenderFacts['config']>>();
  for (const [id, c] of configs) {
    const s = c.deployment_id ? byId.get(c.deployment_id) : undefined;
    out.set(id, configFacts(c, s ? stillDeploying(s) : false, s ? failedOn(s) : false));
  }
  return ok(out);
}

function unsettled(c: DeviceConfiguration): boolean {
  return !!c.deployment_id && !sameMap(c.configured ?? {}, c.reported ?? {});
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/** A device's failed deployment of an artifact. */
export interface PastFailure {
  deployment: string;
  artifact_name: string;
  finished?: string;
}

/**
 * Devices whose deployment of one of `artifacts` failed since `since`: the finished software
 * deployments of the window (a few pages), then the failed devices of those of our artifacts.
 */
export async function recentFailures(
  client: MenderClient,
  artifacts: string[],
  since: Date,
): Promise<Result<Map<string, PastFailure>>> {
  const wanted = new Set(artifacts);
  const list = await client.listDeployments({ status: 'finished', type: 'software', createdAfter: since });
  if (!list.ok) return list;
  // Oldest first, so a later failure of the same device wins.
  const ours = list.value.filter((d) => wanted.has(d.artifact_name)).sort((a, b) => a.created.localeCompare(b.created));
  const answers = await Promise.all(
    ours.map(async (d) => [d, await client.deploymentDevices(d.id, 'failure')] as const),
  );
  const out = new Map<string, PastFailure>();
  for (const [d, r] of answers) {
    if (!r.ok) return r;
    for (const dev of r.value)
      if (dev.status === 'failure')
        out.set(dev.id, {
          deployment: d.id,
          artifact_name: d.artifact_name,
          ...(dev.finished ? { finished: dev.finished } : {}),
        });
  }
  return ok(out);
}
