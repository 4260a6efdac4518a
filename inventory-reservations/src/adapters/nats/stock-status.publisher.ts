import type { NatsNames } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { NatsConnection } from '@nats-io/transport-node';
import { stockStatus } from '../../domain/stock-status.js';
import type { InventoryStore } from '../redis/inventory.store.js';

/**
 * Publishes stockStatus(promotionId) at most once per interval for promotions whose stock changed
 * on this node, and for every known promotion on a slow heartbeat (which also covers changes made
 * by other nodes' reapers).
 */
export function startStockStatusPublisher(o: {
  nc: NatsConnection;
  names: NatsNames;
  store: InventoryStore;
  logger: Logger;
  intervalMs: number;
  heartbeatMs: number;
}) {
  const dirty = new Set<string>();
  let lastHeartbeat = 0;
  let running = false;
  const publish = async (promotionId: string) => {
    const products = await o.store.stock(promotionId);
    if (!products) return;
    o.nc.publish(o.names.subjects.stockStatus(promotionId), JSON.stringify(stockStatus(promotionId, products)));
  };
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      let ids = [...dirty];
      dirty.clear();
      if (Date.now() - lastHeartbeat >= o.heartbeatMs) {
        lastHeartbeat = Date.now();
        ids = [...new Set([...ids, ...(await o.store.promotions())])];
      }
      for (const id of ids) await publish(id);
    } catch (err) {
      o.logger.warn({ err }, 'stock status publish failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs);
  timer.unref();
  return {
    markDirty: (promotionId: string) => dirty.add(promotionId),
    stop: () => clearInterval(timer),
  };
}

export type StockStatusPublisher = ReturnType<typeof startStockStatusPublisher>;
