import type { Kysely } from 'kysely';
import { listPromotions } from '../adapters/db/promotion.repository.js';
import { diffSku, isDrifted, type PromotionDrift, type ReconcileReport, summarize } from '../domain/reconciliation.js';
import type { InventoryMetrics } from '../metrics.js';
import { type RebuildDeps, recomputePromotion, withRebuildLock } from './rebuild.js';

/**
 * Compares Redis counters with Postgres plus live holds per SKU, reports drift (metrics + JSON
 * report, kept in Redis for GET /admin/reconcile/last) and, with `repair`, rewrites the counters
 * to the expected values — atomically, so holds keep flowing. An oversold SKU is clamped at zero
 * and reported; nothing can un-sell it automatically. Also prunes pending holds Postgres has.
 */
export async function reconcile(
  d: RebuildDeps & { db: Kysely<any>; metrics: InventoryMetrics },
  repair: boolean,
): Promise<ReconcileReport> {
  const startedAt = new Date();
  try {
    const report = await withRebuildLock(d, async () => {
      const promotions: PromotionDrift[] = [];
      for (const p of await listPromotions(d.db)) {
        const r = await recomputePromotion(d, p.promotionId, repair ? 'repair' : 'check');
        const skus = r.skus.map((s) => diffSku(s, repair));
        for (const s of skus) d.metrics.drift.set({ promotion: p.promotionId, sku: s.sku }, s.availableDrift);
        promotions.push({ promotionId: p.promotionId, skus, pendingMissing: r.pendingMissing, pendingPruned: r.pendingPruned });
      }
      return summarize(startedAt, repair, promotions);
    });
    await d.redis.set(d.keys.lastReconcile, JSON.stringify(report));
    d.metrics.reconcileRuns.inc({ result: report.drifted > 0 ? 'drift' : 'clean' });
    if (report.drifted > 0) {
      const drifted = report.promotions.flatMap((p) => p.skus.filter(isDrifted).map((s) => ({ promotionId: p.promotionId, ...s })));
      d.logger.warn({ drifted, repair }, 'stock drift found');
    }
    return report;
  } catch (err) {
    d.metrics.reconcileRuns.inc({ result: 'error' });
    throw err;
  }
}

export async function lastReconcile(d: RebuildDeps): Promise<ReconcileReport | undefined> {
  const raw = await d.redis.get(d.keys.lastReconcile);
  return raw ? (JSON.parse(raw) as ReconcileReport) : undefined;
}
