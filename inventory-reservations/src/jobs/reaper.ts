import type { Logger } from '@flashgate/shared/logger';
import type { InventoryStore } from '../adapters/redis/inventory.store.js';
import type { InventoryMetrics } from '../metrics.js';

/**
 * Runs on every node every ~200 ms: expired holds give their stock back within a second, without
 * keyspace notifications. Concurrent reapers are harmless — the reap script is the arbiter.
 */
export function startReaper(o: {
  store: InventoryStore;
  metrics: InventoryMetrics;
  logger: Logger;
  intervalMs: number;
  batch: number;
  onReaped?: (promotionId: string, count: number) => void;
}) {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const promotionId of await o.store.promotions()) {
        let n: number;
        do {
          n = await o.store.reap(promotionId, o.batch);
          if (n > 0) {
            o.metrics.reaped.inc(n);
            o.onReaped?.(promotionId, n);
          }
        } while (n === o.batch);
      }
    } catch (err) {
      o.logger.warn({ err }, 'reaper tick failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
