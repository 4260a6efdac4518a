import { Counter, Gauge, type Registry } from '@flashgate/shared/metrics';

/**
 * Queue metrics; the promotion label is bounded by the promotions marketing created. Under cluster.js
 * the primary merges the workers' values: every worker hears the same ticks, so the line's gauges are
 * the same on each and take the max (summed they would read WORKERS times too high); sockets are per
 * worker and sum.
 */
export interface QueueMetrics {
  waiting: Gauge<'promotion'>;
  activeAdmitted: Gauge<'promotion'>;
  state: Gauge<'promotion' | 'state'>;
  joins: Counter<'promotion'>;
  admissions: Counter<'promotion'>;
  sockets: Gauge;
  droppedUpdates: Counter;
  slowClosed: Counter;
  rejected: Counter<'code'>;
}

export function createQueueMetrics(registry: Registry): QueueMetrics {
  const registers = [registry];
  return {
    waiting: new Gauge({
      name: 'wr_queue_waiting',
      help: 'Shoppers waiting in line (from the latest tick)',
      labelNames: ['promotion'],
      aggregator: 'max',
      registers,
    }),
    activeAdmitted: new Gauge({
      name: 'wr_queue_admitted_active',
      help: 'Admitted shoppers still holding a live admission token',
      labelNames: ['promotion'],
      aggregator: 'max',
      registers,
    }),
    state: new Gauge({
      name: 'wr_queue_state',
      help: '1 for the current queue state of each promotion',
      labelNames: ['promotion', 'state'],
      aggregator: 'max',
      registers,
    }),
    joins: new Counter({ name: 'wr_queue_joins_total', help: 'Joins (new places) on this process', labelNames: ['promotion'], registers }),
    admissions: new Counter({
      name: 'wr_queue_admissions_total',
      help: 'Admissions issued by this process while it was the admitter',
      labelNames: ['promotion'],
      registers,
    }),
    sockets: new Gauge({ name: 'wr_ws_connections', help: 'Open queue WebSockets on this process', registers }),
    droppedUpdates: new Counter({
      name: 'wr_ws_dropped_updates_total',
      help: 'Tick frames skipped for a slow socket (coalesced into the next)',
      registers,
    }),
    slowClosed: new Counter({ name: 'wr_ws_slow_closed_total', help: 'Sockets closed for staying too far behind', registers }),
    rejected: new Counter({
      name: 'wr_queue_rejected_total',
      help: 'Rejected connections, frames and joins, by error code',
      labelNames: ['code'],
      registers,
    }),
  };
}
