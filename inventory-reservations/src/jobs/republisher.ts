import type { NatsNames } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { JetStreamClient } from '@nats-io/jetstream';
import { publishConfirmedOrder } from '../adapters/nats/order-publisher.js';
import type { InventoryStore } from '../adapters/redis/inventory.store.js';
import type { InventoryMetrics } from '../metrics.js';

/**
 * Confirmed holds whose publish failed (or whose node died between confirm and publish ack) stay
 * in the unpublished set; this job publishes them again. The hold id as message id, and the unique
 * hold id in Postgres, make a double publish harmless.
 */
export function startRepublisher(o: {
  js: JetStreamClient;
  names: NatsNames;
  store: InventoryStore;
  metrics: InventoryMetrics;
  logger: Logger;
  intervalMs: number;
  publishTimeoutMs: number;
  /** Only holds unpublished for longer than this are retried, so in-flight confirms finish first. */
  graceMs?: number;
}) {
  const seen = new Map<string, number>();
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const now = Date.now();
      const live = new Set<string>();
      for (const promotionId of await o.store.promotions()) {
        for (const holdId of await o.store.unpublished(promotionId)) {
          const key = `${promotionId}\0${holdId}`;
          live.add(key);
          const first = seen.get(key) ?? now;
          seen.set(key, first);
          if (now - first < (o.graceMs ?? o.intervalMs)) continue;
          const hold = await o.store.confirmedHold(promotionId, holdId);
          if (hold) {
            await publishConfirmedOrder(o.js, o.names, hold, o.publishTimeoutMs);
            o.metrics.republished.inc();
          } else {
            o.logger.error({ promotionId, holdId }, 'unpublished hold has no record; cannot republish');
          }
          await o.store.markPublished(promotionId, [holdId]);
        }
      }
      for (const key of seen.keys()) if (!live.has(key)) seen.delete(key);
    } catch (err) {
      o.logger.warn({ err }, 'republisher tick failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
