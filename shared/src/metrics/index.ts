import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { shareWithCluster } from './cluster-metrics.js';

export { Counter, Gauge, Histogram, Registry };
export { CLUSTER_METRICS_TIMEOUT_MS, joinClusterMetrics, scrapeMetrics, serveClusterMetrics } from './cluster-metrics.js';
export { sampleValues } from './exposition.js';

export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/**
 * A registry per service (never prom-client's global one, so tests and several services in one
 * process do not collide). HTTP metrics are labelled by route pattern, never by raw path, to keep
 * label cardinality bounded. Under cluster.js the registry is also reported to the primary, which
 * sums it with the other workers' (see cluster-metrics.ts): a gauge whose value is the same on every
 * worker (read from Redis, or a state) needs `aggregator: 'max'` or it reads N times too high.
 */
export function createMetrics(service: string, opts: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (opts.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // prom-client averages event-loop lag over cluster workers; EventLoopLagHigh is about the worst one.
    for (const metric of registry.getMetricsAsArray()) {
      if (metric.name.startsWith('nodejs_eventloop_lag_') && metric.name !== 'nodejs_eventloop_lag_min_seconds') metric.aggregator = 'max';
    }
  }
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  shareWithCluster(registry);
  return { registry, httpRequests, httpDuration };
}
