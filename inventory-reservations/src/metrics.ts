import { Counter, Gauge, Histogram, type ServiceMetrics } from '@flashgate/shared/metrics';

/** This service's metrics, on its own registry; every label value comes from a closed set or configured SKUs. */
export function createInventoryMetrics(m: ServiceMetrics) {
  const registers = [m.registry];
  return {
    holds: new Counter({ name: 'inventory_holds_total', help: 'Hold requests, by outcome', labelNames: ['outcome'] as const, registers }),
    holdLatency: new Histogram({
      name: 'inventory_hold_duration_seconds',
      help: 'Time to answer a hold request',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    requests: new Counter({
      name: 'inventory_requests_total',
      help: 'Inventory requests over NATS, by verb and outcome',
      labelNames: ['verb', 'outcome'] as const,
      registers,
    }),
    reaped: new Counter({ name: 'inventory_holds_reaped_total', help: 'Holds expired by the reaper', registers }),
    ordersPersisted: new Counter({ name: 'inventory_orders_persisted_total', help: 'Orders newly written to Postgres', registers }),
    ordersDuplicate: new Counter({
      name: 'inventory_orders_duplicate_total',
      help: 'Order messages already in Postgres (redeliveries)',
      registers,
    }),
    batchSize: new Histogram({
      name: 'inventory_order_batch_size',
      help: 'Orders per Postgres batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    batchLatency: new Histogram({
      name: 'inventory_order_batch_duration_seconds',
      help: 'Time to write one batch to Postgres',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    batchRetries: new Counter({ name: 'inventory_order_batch_retries_total', help: 'Batches nak-ed after a transient error', registers }),
    deadLetters: new Counter({
      name: 'inventory_orders_dead_lettered_total',
      help: 'Order messages terminated as poison and sent to the dead-letter subject',
      labelNames: ['reason'] as const,
      registers,
    }),
    deadLettersReplayed: new Counter({
      name: 'inventory_dead_letters_replayed_total',
      help: 'Dead-lettered orders an operator replayed, by result (replayed, duplicate = inside the dedup window, not_replayable)',
      labelNames: ['result'] as const,
      registers,
    }),
    publishFailures: new Counter({
      name: 'inventory_order_publish_failures_total',
      help: 'Confirmed orders whose JetStream publish failed',
      registers,
    }),
    republished: new Counter({
      name: 'inventory_orders_republished_total',
      help: 'Confirmed orders published by the republisher',
      registers,
    }),
    snapshots: new Counter({
      name: 'inventory_snapshots_total',
      help: 'Promotion snapshots, by result',
      labelNames: ['result'] as const,
      registers,
    }),
    stockRefused: new Counter({
      name: 'inventory_snapshot_stock_refused_total',
      help: 'SKU stock lowerings refused because units were already held or confirmed',
      registers,
    }),
    skusRemoved: new Counter({
      name: 'inventory_snapshot_skus_removed_total',
      help: 'SKUs taken off sale because a newer snapshot no longer listed them',
      registers,
    }),
    drift: new Gauge({
      name: 'inventory_stock_drift',
      help: 'Redis available minus expected available, per promotion and configured SKU (last reconciliation)',
      labelNames: ['promotion', 'sku'] as const,
      registers,
    }),
    reconcileRuns: new Counter({
      name: 'inventory_reconcile_runs_total',
      help: 'Reconciliation runs, by result',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type InventoryMetrics = ReturnType<typeof createInventoryMetrics>;
