/**
 * Typed Mender management API client. Bulk endpoints first: one v2 inventory search per page of
 * devices, deployments naming many devices, statistics of many deployments in one request.
 * Reads page at the API's maximum size and fetch the remaining pages concurrently once
 * X-Total-Count says how many there are.
 */
import { err, fleetError, ok, type FleetError, type Result } from '../errors/index.js';
import { resolveEndpoint, type OtaEndpoint, type ResolveInput } from './config.js';
import { chunk, hasNextPage, pageCount, parseLink, parseTotalCount } from './paging.js';
import {
  ArtifactList,
  DeploymentList,
  DeviceConfiguration,
  DeviceDeploymentList,
  DeviceInDeploymentList,
  DeviceInventoryList,
  NewConfigurationDeploymentResponse,
  StatisticsList,
  type Artifact,
  type ConfigMap,
  type Deployment,
  type DeviceDeployment,
  type DeviceInDeployment,
  type DeviceInventory,
  type StatisticsList as StatisticsListT,
} from './schemas.js';
import { builtConfigWorker, CONFIG_WORKER_MIN, readConfigsInWorker } from './config-reader.js';
import { Transport, type Call, type Reply, type TransportOptions } from './transport.js';

const M = '/api/management';
const P = {
  search: `${M}/v2/inventory/filters/search`,
  deploymentsV1: `${M}/v1/deployments/deployments`,
  deploymentsV2: `${M}/v2/deployments/deployments`,
  statsList: `${M}/v1/deployments/deployments/statistics/list`,
  artifactsList: `${M}/v1/deployments/artifacts/list`,
  deviceConfig: `${M}/v1/deviceconfig/configurations/device`,
} as const;

/** Page sizes: the maxima the spec allows (deployments, artifacts: 500; a device's history: 20). */
export const MAX_PER_PAGE = {
  search: 500,
  deployments: 500,
  deploymentDevices: 500,
  artifacts: 500,
  deviceHistory: 20,
} as const;

export interface ClientOptions extends TransportOptions {
  /** Devices named by one search request (its device_ids list). */
  searchChunk?: number;
  /** Deployment ids per statistics/list request. */
  statsChunk?: number;
  /** Configuration reads of at least this many devices go to a worker thread. */
  configWorkerMin?: number;
  /**
   * The worker thread's script; the built one by default. null: never a worker (the TypeScript
   * sources under test cannot run in a worker thread).
   */
  configWorker?: URL | null;
  /**
   * Most items one paged list may hold (a search by device ids: at most the ids asked for). Past
   * it a server that pages without end is stopped (`ota.paging`).
   */
  maxItems?: number;
  /** The server's cap of active software deployments (hosted Mender: 800; 0: none): plans stay within it. */
  maxActiveDeployments?: number;
}

/** Hosted Mender's cap of active deployments per tenant (docs.mender.io, Limits). */
export const MAX_ACTIVE_DEPLOYMENTS = 800;

/** Default bound of a paged list: ten times the largest fleet measured (docs/performance.md). */
export const MAX_ITEMS = 1_000_000;

export type SelectAttribute = { scope: string; attribute: string };
export type FilterPredicate = { scope: string; attribute: string; type: string; value: unknown };

export interface NewDeployment {
  name: string;
  artifact_name: string;
  devices: string[];
  force_installation?: boolean;
  /** Mender Professional/Enterprise: attempts a device may retry after a failed one. */
  retries?: number;
}

export class MenderClient {
  readonly transport: Transport;
  private readonly searchChunk: number;
  private readonly statsChunk: number;
  private readonly configWorkerMin: number;
  private readonly configWorker: URL | null;
  private readonly maxItems: number;
  readonly maxActiveDeployments: number;

  constructor(endpoint: OtaEndpoint, options: ClientOptions = {}) {
    this.transport = new Transport(endpoint, options);
    this.searchChunk = options.searchChunk ?? MAX_PER_PAGE.search;
    this.statsChunk = options.statsChunk ?? 100;
    this.configWorkerMin = options.configWorkerMin ?? CONFIG_WORKER_MIN;
    this.configWorker = options.configWorker === undefined ? builtConfigWorker() : options.configWorker;
    this.maxItems = options.maxItems ?? MAX_ITEMS;
    this.maxActiveDeployments = options.maxActiveDeployments ?? MAX_ACTIVE_DEPLOYMENTS;
  }

  /** A client from options, the play's variables and the environment (see config.ts). */
  static from(input: ResolveInput, options: ClientOptions = {}): Result<MenderClient> {
    const ep = resolveEndpoint(input);
    return ep.ok ? ok(new MenderClient(ep.value, options)) : ep;
  }

  get stats() {
    return this.transport.stats;
  }

  close(): void {
    this.transport.close();
  }

  /** One cheap authenticated read, so bad credentials stop a run before it plans anything. */
  async verifyAccess(): Promise<Result<void>> {
    const r = await this.transport.request({
      op: `GET ${P.deploymentsV2}`,
      method: 'GET',
      path: P.deploymentsV2,
      query: new URLSearchParams({ per_page: '1' }),
      schema: DeploymentList,
    });
    return r.ok ? ok(undefined) : r;
  }

  /**
   * v2 inventory search. With device ids, the ids go in chunks (one request each when a chunk
   * fits a page); without, the whole filtered inventory is paged.
   */
  async searchDevices(q: {
    deviceIds?: string[];
    filters?: FilterPredicate[];
    attributes?: SelectAttribute[];
  }): Promise<Result<DeviceInventory[]>> {
    const base = {
      ...(q.filters ? { filters: q.filters } : {}),
      ...(q.attributes ? { attributes: q.attributes } : {}),
    };
    if (!q.deviceIds) return this.searchPages(base);
    if (q.deviceIds.length === 0) return ok([]);
    const parts = await Promise.all(
      chunk(q.deviceIds, this.searchChunk).map((ids) => this.searchPages({ ...base, device_ids: ids })),
    );
    return collect(parts);
  }

  private searchPages(body: Record<string, unknown>): Promise<Result<DeviceInventory[]>> {
    const perPage = MAX_PER_PAGE.search;
    const ids = body.device_ids as string[] | undefined;
    return this.paged(
      perPage,
      (page) => ({
        op: `POST ${P.search}`,
        method: 'POST',
        path: P.search,
        body: { ...body, page, per_page: perPage },
        schema: DeviceInventoryList,
      }),
      byId,
      ids && new Set(ids),
    );
  }

  /** v2 deployments list; names/ids may repeat (the API accepts many of each). */
  listDeployments(
    q: {
      status?: 'pending' | 'inprogress' | 'finished';
      type?: 'software' | 'configuration';
      names?: string[];
      ids?: string[];
      createdAfter?: Date;
    } = {},
  ): Promise<Result<Deployment[]>> {
    const perPage = MAX_PER_PAGE.deployments;
    return this.paged(
      perPage,
      (page) => {
        const query = new URLSearchParams({ page: String(page), per_page: String(perPage) });
        if (q.status) query.set('status', q.status);
        if (q.type) query.set('type', q.type);
        for (const n of q.names ?? []) query.append('name', n);
        for (const id of q.ids ?? []) query.append('id', id);
        if (q.createdAfter) query.set('created_after', String(Math.floor(q.createdAfter.getTime() / 1000)));
        return { op: `GET ${P.deploymentsV2}`, method: 'GET', path: P.deploymentsV2, query, schema: DeploymentList };
      },
      byId,
    );
  }

  /**
   * Software deployments pending or in progress on the server — what its cap counts: two
   * one-item pages read for their X-Total-Count (the whole list only from a server that sends none).
   */
  async countActiveDeployments(): Promise<Result<number>> {
    let n = 0;
    for (const status of ['pending', 'inprogress'] as const) {
      const query = new URLSearchParams({ status, type: 'software', per_page: '1' });
      const r = await this.transport.request({
        op: `GET ${P.deploymentsV2}`,
        method: 'GET',
        path: P.deploymentsV2,
        query,
        schema: DeploymentList,
      });
      if (!r.ok) return r;
      const total = parseTotalCount(r.value.headers['x-total-count']);
      if (total !== undefined) n += total;
      else {
        const all = await this.listDeployments({ status, type: 'software' });
        if (!all.ok) return all;
        n += all.value.length;
      }
    }
    return ok(n);
  }

  /** Devices of one deployment with their per-device status (v1 devices/list, 500 a page). */
  deploymentDevices(deploymentId: string, status?: string): Promise<Result<DeviceInDeployment[]>> {
    const perPage = MAX_PER_PAGE.deploymentDevices;
    const path = `${P.deploymentsV1}/${enc(deploymentId)}/devices/list`;
    return this.paged(
      perPage,
      (page) => {
        const query = new URLSearchParams({ page: String(page), per_page: String(perPage) });
        if (status) query.set('status', status);
        return {
          op: `GET ${P.deploymentsV1}/{id}/devices/list`,
          method: 'GET',
          path,
          query,
          schema: DeviceInDeploymentList,
        };
      },
      byId,
    );
  }

  /** Status counts of many deployments, one request per `statsChunk` ids. */
  async deploymentStatistics(ids: string[]): Promise<Result<StatisticsListT>> {
    const parts = await Promise.all(
      chunk(ids, this.statsChunk).map(async (part) => {
        const r = await this.transport.request({
          op: `POST ${P.statsList}`,
          method: 'POST',
          path: P.statsList,
          body: { deployment_ids: part },
          schema: StatisticsList,
        });
        return r.ok ? ok(r.value.data) : r;
      }),
    );
    return collect(parts);
  }

  /** A device's deployment history (the API pages it by 20 at most). */
  deviceDeployments(deviceId: string, status?: string): Promise<Result<DeviceDeployment[]>> {
    const perPage = MAX_PER_PAGE.deviceHistory;
    const path = `${P.deploymentsV1}/devices/${enc(deviceId)}`;
    return this.paged(
      perPage,
      (page) => {
        const query = new URLSearchParams({ page: String(page), per_page: String(perPage) });
        if (status) query.set('status', status);
        return { op: `GET ${P.deploymentsV1}/devices/{id}`, method: 'GET', path, query, schema: DeviceDeploymentList };
      },
      (d) => d.id ?? d.deployment.id,
    );
  }

  /**
   * The server's clock (its Date header, ms), else the runner's: check-in times, deployment
   * finish times and maintenance windows are the server's time (the embedded server's manual
   * clock in tests and the demo). One small read.
   */
  async serverTime(): Promise<number> {
    const path = `${M}/v2/deployments/deployments`;
    const r = await this.transport.request({
      op: `GET ${path}`,
      method: 'GET',
      path,
      query: new URLSearchParams({ per_page: '1' }),
    });
    const date = r.ok ? Date.parse(r.value.headers['date'] ?? '') : NaN;
    return Number.isFinite(date) ? date : Date.now();
  }

  /**
   * Artifacts by exact name, one paged list per name (v1 artifacts/list: the embedded server and
   * every Mender version serve it; a run asks for a handful of names, not one per device).
   */
  async listArtifacts(names: string[]): Promise<Result<Artifact[]>> {
    const perPage = MAX_PER_PAGE.artifacts;
    const parts = await Promise.all(
      [...new Set(names)].map((name) =>
        this.paged(
          perPage,
          (page) => {
            const query = new URLSearchParams({ name, page: String(page), per_page: String(perPage) });
            return { op: `GET ${P.artifactsList}`, method: 'GET', path: P.artifactsList, query, schema: ArtifactList };
          },
          byId,
        ),
      ),
    );
    // Mender matches `name` as a case-insensitive substring (os-1 finds os-10 too): keep exact names.
    const wanted = new Set(names);
    const all = collect(parts);
    return all.ok ? ok(all.value.filter((a) => wanted.has(a.name))) : all;
  }

  /**
   * Creates a deployment naming many devices. The create is not idempotent, so when an attempt's
   * answer was lost (5xx, timeout, dropped connection) the retry first looks the deployment up by
   * its name — unique per run, so any status counts — and adopts it instead of creating a second.
   * A 409 (an active deployment with the same parameters exists) adopts that one.
   */
  async createDeployment(d: NewDeployment): Promise<Result<{ id: string; adopted: boolean }>> {
    let adopted = false;
    const recover = async (): Promise<Result<string | undefined>> => {
      const found = await this.findDeployment(d.name, d.artifact_name);
      if (found.ok && found.value) adopted = true;
      return found;
    };
    const r = await this.transport.request<string>({
      op: `POST ${P.deploymentsV1}`,
      method: 'POST',
      path: P.deploymentsV1,
      body: d,
      okStatus: (s) => (s >= 200 && s < 300) || s === 409,
      recover,
    });
    if (!r.ok) return r;
    if (adopted) return ok({ id: r.value.data, adopted: true });
    if (r.value.status === 409) return this.adoptConflict(d);
    const located = idFromLocation(r.value);
    if (located) return ok({ id: located, adopted: false });
    // No Location header: the run-unique name still finds it.
    const found = await this.findDeployment(d.name, d.artifact_name);
    if (!found.ok) return found;
    if (found.value) return ok({ id: found.value, adopted: false });
    return err(
      fleetError(
        'ota.bad-response',
        `POST ${P.deploymentsV1}: created, but no Location header and no deployment named "${d.name}"`,
      ),
    );
  }

  /** The deployment a 409 refers to: ours by name, else an active one of the same artifact. */
  private async adoptConflict(d: NewDeployment): Promise<Result<{ id: string; adopted: boolean }>> {
    const mine = await this.findDeployment(d.name, d.artifact_name);
    if (!mine.ok) return mine;
    if (mine.value) return ok({ id: mine.value, adopted: true });
    for (const status of ['pending', 'inprogress'] as const) {
      const list = await this.listDeployments({ status, type: 'software' });
      if (!list.ok) return list;
      const same = list.value.find((x) => x.artifact_name === d.artifact_name);
      if (same) return ok({ id: same.id, adopted: true });
    }
    return err(
      fleetError(
        'ota.conflict',
        `POST ${P.deploymentsV1}: the server reports a conflicting deployment for ${d.artifact_name}, but none is active`,
      ),
    );
  }

  private async findDeployment(name: string, artifact: string): Promise<Result<string | undefined>> {
    const list = await this.listDeployments({ names: [name] });
    if (!list.ok) return list;
    return ok(list.value.find((x) => x.name === name && x.artifact_name === artifact)?.id);
  }

  /** Aborts a whole deployment. A 422 on a retry means an earlier attempt already did it. */
  async abortDeployment(id: string): Promise<Result<void>> {
    let tried = false;
    const r = await this.transport.request({
      op: `PUT ${P.deploymentsV1}/{id}/status`,
      method: 'PUT',
      path: `${P.deploymentsV1}/${enc(id)}/status`,
      body: { status: 'aborted' },
      okStatus: (s) => (s >= 200 && s < 300) || (tried && s === 422),
      recover: () => {
        tried = true;
        return Promise.resolve(ok(undefined));
      },
    });
    return r.ok ? ok(undefined) : r;
  }

  /** Aborts every active and pending deployment of one device. Idempotent. */
  async abortDeviceDeployments(deviceId: string): Promise<Result<void>> {
    const r = await this.transport.request({
      op: `DELETE ${P.deploymentsV1}/devices/{id}`,
      method: 'DELETE',
      path: `${P.deploymentsV1}/devices/${enc(deviceId)}`,
    });
    return r.ok ? ok(undefined) : r;
  }

  /** A device's configured and reported configuration; a device without any → empty maps. */
  async getDeviceConfig(deviceId: string): Promise<Result<DeviceConfiguration>> {
    const r = await this.transport.request({
      op: `GET ${P.deviceConfig}/{id}`,
      method: 'GET',
      path: `${P.deviceConfig}/${enc(deviceId)}`,
      schema: DeviceConfiguration,
      okStatus: (s) => (s >= 200 && s < 300) || s === 404,
    });
    if (!r.ok) return r;
    return ok(r.value.status === 404 ? { id: deviceId, configured: {}, reported: {} } : r.value.data);
  }

  /**
   * Configurations of many devices. The API has no bulk read, so it is one request per device,
   * by as many workers as requests may be in flight (not a promise per device: 100k devices).
   * Many devices are read by a worker thread (see config-reader.ts); the first error ends it.
   */
  async getDeviceConfigs(deviceIds: string[]): Promise<Result<Map<string, DeviceConfiguration>>> {
    const script = this.configWorker;
    const t = this.transport;
    // A test's injected clock cannot cross to another thread, and under an rps limit the limit,
    // not CPU, sets the pace (one limiter, here).
    if (script && deviceIds.length >= this.configWorkerMin && t.realClock && !(t.settings.rps > 0))
      return readConfigsInWorker(t, script, deviceIds, () => this.readAll(deviceIds));
    return this.readAll(deviceIds);
  }

  private async readAll(deviceIds: string[]): Promise<Result<Map<string, DeviceConfiguration>>> {
    const out = new Map<string, DeviceConfiguration>();
    const r = await this.readConfigs(deviceIds, (id, c) => out.set(id, c));
    return r.ok ? ok(out) : r;
  }

  /** The fan-out itself, in this thread: each configuration goes to `got` as it comes. */
  async readConfigs(deviceIds: string[], got: (id: string, c: DeviceConfiguration) => void): Promise<Result<void>> {
    let next = 0;
    let failed: Result<never> | undefined;
    const worker = async () => {
      while (next < deviceIds.length && !failed) {
        const id = deviceIds[next++];
        const r = await this.getDeviceConfig(id);
        if (r.ok) got(id, r.value);
        else failed ??= r;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.transport.concurrency, deviceIds.length) }, worker));
    return failed ?? ok(undefined);
  }

  /** Replaces the configured configuration (a PUT: safe to repeat). */
  async setDeviceConfig(deviceId: string, config: ConfigMap): Promise<Result<void>> {
    const r = await this.transport.request({
      op: `PUT ${P.deviceConfig}/{id}`,
      method: 'PUT',
      path: `${P.deviceConfig}/${enc(deviceId)}`,
      body: config,
    });
    return r.ok ? ok(undefined) : r;
  }

  /**
   * Deploys the configured configuration. Not idempotent: when an answer was lost, the retry
   * first re-reads the device's configuration — a new deployment_id means the deploy happened.
   */
  async deployDeviceConfig(
    deviceId: string,
    previousDeploymentId: string | undefined,
  ): Promise<Result<{ deploymentId: string; adopted: boolean }>> {
    let adopted = false;
    const r = await this.transport.request<{ deployment_id: string }>({
      op: `POST ${P.deviceConfig}/{id}/deploy`,
      method: 'POST',
      path: `${P.deviceConfig}/${enc(deviceId)}/deploy`,
      body: {},
      schema: NewConfigurationDeploymentResponse,
      recover: async () => {
        const now = await this.getDeviceConfig(deviceId);
        if (!now.ok) return now;
        const id = now.value.deployment_id;
        if (id && id !== previousDeploymentId) {
          adopted = true;
          return ok({ deployment_id: id });
        }
        return ok(undefined);
      },
    });
    return r.ok ? ok({ deploymentId: r.value.data.deployment_id, adopted }) : r;
  }

  /**
   * Pages of `perPage`. After the first page, X-Total-Count (when sent) tells how many pages
   * remain and they are fetched concurrently; otherwise Link/short pages decide, one by one.
   * A server that pages without end is stopped (see PageGuard): a repeated page or next link,
   * items not asked for, or more than the bound.
   */
  private async paged<T>(
    perPage: number,
    callFor: (page: number) => Call<T[]>,
    key: (item: T) => string,
    asked?: ReadonlySet<string>,
  ): Promise<Result<T[]>> {
    const first = await this.transport.request(callFor(1));
    if (!first.ok) return first;
    const guard = new PageGuard(
      callFor(1).op,
      this.transport.described,
      asked ? asked.size : this.maxItems,
      perPage,
      asked,
    );
    const checked = guard.add(1, first.value.data.map(key), first.value.headers['link']);
    if (checked) return err(checked);
    const total = parseTotalCount(first.value.headers['x-total-count']);
    if (!more(first.value, 1, perPage)) return ok(first.value.data);
    if (total !== undefined) {
      const over = guard.announced(total);
      if (over) return err(over);
      const pages = Array.from({ length: pageCount(total, perPage) - 1 }, (_, i) => i + 2);
      const rest = await Promise.all(pages.map(async (p) => [p, await this.transport.request(callFor(p))] as const));
      const out = [...first.value.data];
      for (const [p, r] of rest) {
        if (!r.ok) return r;
        const bad = guard.add(p, r.value.data.map(key), undefined);
        if (bad) return err(bad);
        out.push(...r.value.data);
      }
      return ok(out);
    }
    const out = [...first.value.data];
    for (let page = 2; ; page++) {
      const r = await this.transport.request(callFor(page));
      if (!r.ok) return r;
      const bad = guard.add(page, r.value.data.map(key), r.value.headers['link']);
      if (bad) return err(bad);
      out.push(...r.value.data);
      if (!more(r.value, page, perPage)) return ok(out);
    }
  }
}

const PAGING_HINT =
  'the server does not page as the Mender API does (a repeated page, a next link without end or a wrong count): check that the server URL names a Mender server and report the fault to its operator; fleetplay stopped before writing anything it would have planned from this list';

/**
 * Watches the pages of one list as they come: a page equal to an earlier one (same ids in the
 * same order), a next link seen before, an item not asked for, or more items than the bound
 * (the ids asked for, else the client's maxItems) each end the list with `ota.paging`.
 */
class PageGuard {
  private readonly pages = new Map<string, number>();
  private readonly links = new Map<string, number>();
  private items = 0;

  constructor(
    private readonly op: string,
    private readonly server: string,
    private readonly bound: number,
    private readonly perPage: number,
    private readonly asked: ReadonlySet<string> | undefined,
  ) {}

  /** X-Total-Count beyond the bound: refused before a page more is asked for. */
  announced(total: number): FleetError | undefined {
    if (total <= this.bound) return undefined;
    return this.fail(`announced X-Total-Count: ${total}, more than ${this.limitText()}; no further page was asked for`);
  }

  add(page: number, keys: string[], link: string | null | undefined): FleetError | undefined {
    const stray = this.asked && keys.find((k) => !this.asked!.has(k));
    if (stray)
      return this.fail(
        `returned device ${stray} on page ${page}, which was not asked for (the search named ${this.asked.size} device ids)`,
      );
    if (keys.length > 0) {
      const sig = keys.join('\n');
      const earlier = this.pages.get(sig);
      if (earlier !== undefined)
        return this.fail(
          `sent page ${page} with the same ${keys.length} ids as page ${earlier}: its paging does not advance`,
        );
      this.pages.set(sig, page);
    }
    this.items += keys.length;
    // Empty pages add no items: the page count has its own bound (a page of slack for a short last one).
    if (page > Math.ceil(this.bound / this.perPage) + 1)
      return this.fail(
        `was still sending pages at page ${page}, past the ${Math.ceil(this.bound / this.perPage)} pages ${this.limitText()} fill`,
      );
    if (this.items > this.bound)
      return this.fail(`sent ${this.items} items by page ${page}, more than ${this.limitText()}`);
    const next = link ? parseLink(link).get('next') : undefined;
    if (next !== undefined) {
      const earlier = this.links.get(next);
      if (earlier !== undefined)
        return this.fail(
          `sent the same next link on page ${page} as on page ${earlier} (${next}): its paging does not advance`,
        );
      this.links.set(next, page);
    }
    return undefined;
  }

  private limitText(): string {
    return this.asked
      ? `the ${this.asked.size} device ids asked for`
      : `the bound of ${this.bound} items (mender_api.max_items)`;
  }

  private fail(what: string): FleetError {
    return fleetError('ota.paging', `${this.op}: ${this.server} ${what}`, {
      hint: PAGING_HINT,
      context: { endpoint: this.op },
    });
  }
}

const byId = (x: { id: string }): string => x.id;

function more<T>(reply: Reply<T[]>, page: number, perPage: number): boolean {
  return hasNextPage({
    page,
    perPage,
    received: reply.data.length,
    link: reply.headers['link'],
    totalCount: reply.headers['x-total-count'],
  });
}

/** All parts or the first error. */
function collect<T>(parts: Result<T[]>[]): Result<T[]> {
  const out: T[] = [];
  for (const p of parts) {
    if (!p.ok) return p;
    for (const x of p.value) out.push(x);
  }
  return ok(out);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** The new deployment's id is the last segment of its Location URL. */
function idFromLocation(reply: Reply<unknown>): string | undefined {
  const m = /\/deployments\/([^/?#]+)\/?$/.exec(reply.headers['location'] ?? '');
  return m ? decodeURIComponent(m[1]) : undefined;
}
