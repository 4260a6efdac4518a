import type { Logger } from '@flashgate/shared/logger';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { promotionSnapshot, readLedgerFigures, listPromotions } from '../adapters/db/promotion.repository.js';
import type { InventoryStore, RebuildResult } from '../adapters/redis/inventory.store.js';
import type { InventoryKeys } from '../adapters/redis/keys.js';

export interface RebuildDeps {
  db: Kysely<any>;
  redis: Redis;
  keys: InventoryKeys;
  store: InventoryStore;
  logger: Logger;
}

/** Takes the rebuild lock, waiting up to `waitMs` for another node's rebuild to finish. */
export async function withRebuildLock<T>(d: RebuildDeps, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + waitMs;
  while ((await d.redis.set(d.keys.rebuildLock, token, 'PX', 60_000, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new Error('rebuild lock is held by another node');
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    // Delete only our own lock (it may have expired and been taken by another node).
    await d.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      d.keys.rebuildLock,
      token,
    );
  }
}

/**
 * Runs the rebuild script for one promotion with figures from one Postgres snapshot.
 * mode 'rebuild' also recomputes the per-shopper counters.
 */
export async function recomputePromotion(
  d: RebuildDeps,
  promotionId: string,
  mode: 'check' | 'repair' | 'rebuild',
): Promise<RebuildResult> {
  const f = await readLedgerFigures(d.db, promotionId, () => d.store.pending(promotionId), mode === 'rebuild');
  const r = await d.store.rebuild(promotionId, mode, {
    skus: f.ledger.map((l) => ({ sku: l.sku, initialStock: l.initialStock, confirmed: l.confirmed })),
    persistedHoldIds: f.persisted,
    shopperUnits: f.shopperUnits,
  });
  const unlisted = new Set(f.ledger.filter((l) => !l.listed).map((l) => l.sku));
  return { ...r, skus: r.skus.map((s) => ({ ...s, listed: !unlisted.has(s.sku) })) };
}

/**
 * Rebuilds Redis stock from Postgres for every promotion: available = initial − confirmed − live
 * holds (confirmed counting holds on their way to Postgres). A promotion Redis has lost entirely is
 * restored closed ('rebuilding'), recomputed, then reopened, so no hold sees a half-built count.
 */
export async function rebuildAll(d: RebuildDeps): Promise<{ promotions: number }> {
  return withRebuildLock(d, async () => {
    const promotions = await listPromotions(d.db);
    for (const p of promotions) {
      const known = await d.store.stock(p.promotionId);
      if (!known) {
        const snap = await promotionSnapshot(d.db, p.promotionId);
        // Only what the latest snapshot lists goes back on sale; a SKU it dropped keeps its ledger
        // row, and the recompute below restores its counters, but it gets no price (UNKNOWN_SKU).
        const ledger = (await readLedgerFigures(d.db, p.promotionId, async () => [], false)).ledger.filter((l) => l.listed);
        await d.store.applySnapshot(p.promotionId, {
          version: p.version,
          status: 'rebuilding',
          holdTtlMs: p.holdTtlSeconds === null ? undefined : p.holdTtlSeconds * 1000,
          products: ledger.map((l) => ({
            sku: l.sku,
            initialStock: l.initialStock,
            priceCents: l.priceCents,
            perShopperLimit: l.perShopperLimit,
            name: l.name,
          })),
        });
        await recomputePromotion(d, p.promotionId, 'rebuild');
        await d.store.setStatus(p.promotionId, snap?.status ?? p.status);
      } else {
        await recomputePromotion(d, p.promotionId, 'rebuild');
      }
    }
    d.logger.info({ promotions: promotions.length }, 'stock rebuilt from Postgres');
    return { promotions: promotions.length };
  });
}
