import { type NatsNames, type PromotionSnapshot, promotionSnapshotSchema } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { ConsumerMessages, JetStreamClient } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import { PROMOTION_ID } from '../../domain/hold.js';
import type { InventoryMetrics } from '../../metrics.js';
import { applySnapshotToLedger } from '../db/promotion.repository.js';
import type { InventoryStore } from '../redis/inventory.store.js';

export function snapshotInput(s: PromotionSnapshot) {
  return {
    version: s.version,
    status: s.status,
    holdTtlMs: s.holdTtlSeconds === undefined ? undefined : s.holdTtlSeconds * 1000,
    products: s.products.map((p) => ({
      sku: p.sku,
      initialStock: p.stock,
      priceCents: p.priceCents,
      perShopperLimit: p.perShopperLimit,
      name: p.name,
    })),
  };
}

/**
 * Applies a snapshot: Redis first (under the Postgres row lock), then the ledger with the initial
 * stock Redis actually accepted. Returns 'applied' | 'stale'.
 */
export async function applySnapshot(
  deps: { db: Kysely<any>; store: InventoryStore; metrics: InventoryMetrics; logger: Logger },
  snap: PromotionSnapshot,
): Promise<'applied' | 'stale'> {
  const applied = await applySnapshotToLedger(deps.db, snap, async (knownVersion) => {
    const r = await deps.store.applySnapshot(snap.promotionId, snapshotInput(snap), knownVersion);
    if (!r.applied && r.lost) throw new RedisLostPromotionError(snap.promotionId);
    if (!r.applied) return undefined;
    for (const s of r.skus.filter((x) => x.refused)) {
      deps.metrics.stockRefused.inc();
      deps.logger.warn(
        { promotionId: snap.promotionId, sku: s.sku, kept: s.initialStock, version: snap.version },
        'snapshot would lower stock below what is held or confirmed; kept the current initial stock',
      );
    }
    if (r.removed.length > 0) {
      deps.metrics.skusRemoved.inc(r.removed.length);
      // Live holds on them may still confirm or expire; the ledger keeps their rows and orders.
      deps.logger.warn(
        { promotionId: snap.promotionId, skus: r.removed, version: snap.version },
        'snapshot no longer lists these SKUs; they are off sale (new holds answer UNKNOWN_SKU)',
      );
    }
    return r.skus;
  });
  deps.metrics.snapshots.inc({ result: applied ? 'applied' : 'stale' });
  return applied ? 'applied' : 'stale';
}

/** Redis no longer has a promotion Postgres knows: rebuild from Postgres, then apply the snapshot. */
export class RedisLostPromotionError extends Error {
  constructor(readonly promotionId: string) {
    super(`redis has lost promotion ${promotionId}; it must be rebuilt from Postgres before a snapshot applies`);
    this.name = 'RedisLostPromotionError';
  }
}

export interface PromotionsConsumer {
  stop: () => Promise<void>;
}

export async function startPromotionsConsumer(o: {
  js: JetStreamClient;
  names: NatsNames;
  db: Kysely<any>;
  store: InventoryStore;
  metrics: InventoryMetrics;
  logger: Logger;
  nakDelayMs: number;
  onApplied?: (promotionId: string) => void;
  /** Called when Redis lost a promotion's state; the snapshot is retried after `nakDelayMs`. */
  onRedisLost?: (promotionId: string) => void;
}): Promise<PromotionsConsumer> {
  const consumer = await o.js.consumers.get(o.names.streams.promotions, o.names.consumers.promotionsToInventory);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 50 });
  const loop = (async () => {
    for await (const m of messages) {
      let snap: PromotionSnapshot;
      try {
        const parsed = promotionSnapshotSchema.safeParse(JSON.parse(new TextDecoder().decode(m.data)));
        if (!parsed.success) throw new Error(parsed.error.message);
        if (!PROMOTION_ID.test(parsed.data.promotionId)) throw new Error(`unusable promotionId "${parsed.data.promotionId}"`);
        snap = parsed.data;
      } catch (err) {
        o.metrics.snapshots.inc({ result: 'invalid' });
        o.logger.error({ err, subject: m.subject, seq: m.seq }, 'invalid promotion snapshot; terminated');
        m.term(); // no reason text: nats-server 2.9 ignores '+TERM <reason>'
        continue;
      }
      try {
        const r = await applySnapshot(o, snap);
        m.ack();
        if (r === 'applied') {
          o.logger.info({ promotionId: snap.promotionId, version: snap.version }, 'promotion snapshot applied');
          o.onApplied?.(snap.promotionId);
        }
      } catch (err) {
        if (err instanceof RedisLostPromotionError) o.onRedisLost?.(err.promotionId);
        o.metrics.snapshots.inc({ result: 'retry' });
        o.logger.warn({ err, promotionId: snap.promotionId }, 'applying snapshot failed; will retry');
        m.nak(o.nakDelayMs);
      }
    }
  })();
  return {
    stop: async () => {
      messages.stop();
      await loop.catch(() => undefined);
    },
  };
}
