import { AppError } from '@flashgate/shared/errors';
import type { AppEnv } from '@flashgate/shared/http';
import { Hono } from 'hono';
import { phaseAt, type PromotionDirectory } from '../domain/promotion.js';
import type { QueueRuntime } from '../queue-runtime.js';

const PROMOTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * GET /admin/promotions/:id/stats — the live figures of the marketing dashboard: one Redis script
 * (the tick's own read) plus the latest tick this node heard, so polling it costs no per-shopper work.
 * Stock figures come from the order-gateway's public stock route, not from here.
 */
export function adminStatsRoutes(deps: { directory: PromotionDirectory; queue: QueueRuntime }) {
  const app = new Hono<AppEnv>();
  app.get('/promotions/:id/stats', async (c) => {
    const id = c.req.param('id');
    if (!PROMOTION_ID.test(id)) throw new AppError('PROMOTION_NOT_FOUND', `no promotion "${id}"`, { status: 404 });
    const promotion = await deps.directory.get(id);
    if (!promotion) throw new AppError('PROMOTION_NOT_FOUND', `no promotion "${id}"`, { status: 404 });
    const now = Date.now();
    const [figures, admittedTotal] = await Promise.all([
      deps.queue.store.readTick(id, now, { maxBuckets: 1, minBucketSize: 1 }),
      deps.queue.store.admittedTotal(id),
    ]);
    const tick = deps.queue.hub.latestTick(id);
    return c.json({
      promotionId: id,
      phase: phaseAt(promotion, new Date(now)),
      state: tick?.state ?? null,
      queueLength: figures.waiting,
      admitted: admittedTotal,
      active: figures.active,
      maxActiveShoppers: promotion.maxActiveShoppers,
      admittedThrough: figures.head,
      lastTicket: figures.lastTicket,
      configuredRatePerSec: promotion.admissionRatePerSec,
      admissionRatePerSec: tick?.admissionRatePerSec ?? 0,
      tickAt: tick?.at ?? null,
      at: now,
    });
  });
  return app;
}
