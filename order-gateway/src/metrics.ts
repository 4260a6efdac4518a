import { Counter, Gauge, Histogram, type ServiceMetrics } from '@flashgate/shared/metrics';

/** The gateway's own metrics, on the service registry; every label value comes from a closed set. */
export function createGatewayMetrics(metrics: ServiceMetrics) {
  const registers = [metrics.registry];
  /** Bulkheads register how to read their occupancy; the gauges read it at scrape time. */
  const bulkheads = new Map<string, () => { active: number; queued: number }>();
  return {
    bulkheads,
    orders: new Counter({
      name: 'gateway_orders_total',
      help: 'Order operations by kind (place, confirm, cancel) and outcome code',
      labelNames: ['operation', 'outcome'] as const,
      registers,
    }),
    confirmRecoveries: new Counter({
      name: 'gateway_confirm_recoveries_total',
      help: 'Stuck confirms resumed by the recovery sweeper, by outcome (confirmed, expired, declined, busy, waiting, failed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    authRejections: new Counter({
      name: 'gateway_auth_rejections_total',
      help: 'Requests rejected while checking the admission token, by reason code',
      labelNames: ['reason'] as const,
      registers,
    }),
    breakerState: new Gauge({
      name: 'gateway_circuit_breaker_state',
      help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open, 3 isolated',
      labelNames: ['dependency'] as const,
      // Each cluster.js worker has its own breakers: merged by max, so non-zero while any worker's is not closed.
      aggregator: 'max',
      registers,
    }),
    bulkheadQueued: new Gauge({
      name: 'gateway_bulkhead_queue_depth',
      help: 'Calls waiting for a bulkhead slot',
      labelNames: ['bulkhead'] as const,
      registers,
      collect() {
        for (const [name, read] of bulkheads) this.set({ bulkhead: name }, read().queued);
      },
    }),
    bulkheadActive: new Gauge({
      name: 'gateway_bulkhead_active',
      help: 'Calls running inside a bulkhead',
      labelNames: ['bulkhead'] as const,
      registers,
      collect() {
        for (const [name, read] of bulkheads) this.set({ bulkhead: name }, read().active);
      },
    }),
    bulkheadRejected: new Counter({
      name: 'gateway_bulkhead_rejections_total',
      help: 'Calls refused because a bulkhead and its queue were full',
      labelNames: ['bulkhead'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests answered 429, by which limit',
      labelNames: ['limit'] as const,
      registers,
    }),
    dependencyDuration: new Histogram({
      name: 'gateway_dependency_duration_seconds',
      help: 'Calls to dependencies by dependency and outcome (ok, error, rejected)',
      labelNames: ['dependency', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
