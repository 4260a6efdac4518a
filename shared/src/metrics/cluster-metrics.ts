/**
 * One /metrics for a whole cluster.js process group. Each worker keeps its own registry; before this,
 * a scrape target alternated between workers and rate() read every switch as a counter reset. Now a
 * worker's /metrics asks the primary over the cluster IPC channel, the primary gathers every worker's
 * registry with prom-client's AggregatorRegistry (counters and histograms summed, gauges by their
 * `aggregator` setting) and answers with the text. Only workers started by runCluster do this (the
 * primary must be listening): elsewhere — main.js, tests — /metrics is the local registry.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { dependencyUnavailable } from '../errors/index.js';

/** Below Prometheus' default 10 s scrape timeout, so a stuck primary shows as a failed scrape, not a hang. */
export const CLUSTER_METRICS_TIMEOUT_MS = 2_000;

const REQUEST = 'flashgate:cluster-metrics:request';
const REPLY = 'flashgate:cluster-metrics:reply';

interface Reply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

// Worker side. prom-client keeps the registries it answers the primary with as module state.
const shared: Registry[] = [];
let inCluster = false;
let nextId = 0;
const pending = new Map<number, (reply: Reply) => void>();

/**
 * Called by runCluster in a worker before the service starts: from then on the worker answers the
 * primary's collection requests (with nothing until the service's registry is shared). Installed
 * early because IPC messages that arrive before a listener exists are dropped, and the primary
 * would wait on a starting worker.
 */
export function joinClusterMetrics(): void {
  if (inCluster || !cluster.isWorker) return;
  inCluster = true;
  // The constructor installs prom-client's worker-side listener.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries(shared);
  process.on('message', (message: Reply) => {
    if (message?.type !== REPLY) return;
    pending.get(message.id)?.(message);
  });
}

/** Adds a service registry to what this worker reports; a no-op outside runCluster. */
export function shareWithCluster(registry: Registry): void {
  if (!inCluster) return;
  shared.push(registry);
  AggregatorRegistry.setRegistries(shared);
}

/** The text /metrics answers: the whole process group under runCluster, else the local registry. */
export async function scrapeMetrics(registry: Registry, timeoutMs = CLUSTER_METRICS_TIMEOUT_MS): Promise<string> {
  if (!inCluster) return registry.metrics();
  const id = nextId++;
  const reply = await new Promise<Reply | undefined>((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(undefined);
    }, timeoutMs);
    pending.set(id, (r) => {
      clearTimeout(timer);
      pending.delete(id);
      resolve(r);
    });
    process.send?.({ type: REQUEST, id });
  });
  // 503 rather than this worker's own registry: a partial answer under the same target is exactly the
  // counter going backwards that this module exists to stop. A failed scrape is a gap, not a reset.
  if (reply?.text === undefined) {
    throw dependencyUnavailable('cluster metrics', new Error(reply?.error ?? `no answer from the primary in ${timeoutMs} ms`));
  }
  return reply.text;
}

/** Primary side, called by runCluster before forking: answers workers' /metrics requests. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: unknown; id?: unknown }) => {
    if (message?.type !== REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    const send = (reply: Omit<Reply, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id, ...reply });
    };
    aggregator.clusterMetrics().then(
      (text) => send({ text }),
      (err: unknown) => send({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
