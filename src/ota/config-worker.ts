/**
 * The worker thread of config-reader.ts: reads the configurations of the devices it was given,
 * sending them back in chunks, then its request counts and the first error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { configureLogging, registerSecret, registerSecretsFromEnv } from '../log/index.js';
import { MenderClient } from './client.js';
import type { ReaderJob, ReaderMessage } from './config-reader.js';
import type { DeviceConfiguration } from './schemas.js';

const CHUNK = 1000;

async function main(port: NonNullable<typeof parentPort>, job: ReaderJob): Promise<void> {
  // This thread has its own logger and secret registry: it logs and masks as the main thread.
  configureLogging(job.log);
  for (const s of job.secrets) registerSecret(s);
  registerSecretsFromEnv(process.env);
  registerSecret(job.token);
  const client = new MenderClient(
    { url: job.url, from: job.from, auth: { kind: 'token', token: job.token } },
    { ...job.options, configWorker: null },
  );
  let ids: string[] = [];
  let configs: DeviceConfiguration[] = [];
  const send = (m: ReaderMessage) => port.postMessage(m);
  // From here on requests may be made: a failure is the read's, not a failed start.
  send({ kind: 'started' });
  const flush = () => {
    if (ids.length) send({ kind: 'configs', ids, configs });
    ids = [];
    configs = [];
  };
  const r = await client.readConfigs(job.ids, (id, c) => {
    ids.push(id);
    configs.push(c);
    if (ids.length >= CHUNK) flush();
  });
  flush();
  send({ kind: 'done', stats: client.stats.snapshot(), ...(r.ok ? {} : { error: r.error }) });
  client.close();
}

if (parentPort) void main(parentPort, workerData as ReaderJob);
