import type { Hono } from 'hono';
import { AppError } from '@flashgate/shared/errors';
import { type AppEnv, parseParams } from '@flashgate/shared/http';
import type { InventoryClient } from '../adapters/nats/inventory.client.js';
import { promotionParamsSchema } from './order.schemas.js';

/**
 * GET /promotions/:id/stock (public): stock left per SKU, from inventory. Answers are reused for
 * a short moment so a checkout page refreshed by thousands of shoppers is one request, not thousands.
 */
export function mountStockRoutes(app: Hono<AppEnv>, inventory: InventoryClient, opts: { cacheMs: number; now: () => number }): void {
  const cache = new Map<string, { at: number; value: Promise<Awaited<ReturnType<InventoryClient['stock']>>> }>();
  app.get('/promotions/:id/stock', async (c) => {
    const { id } = parseParams(c.req.param(), promotionParamsSchema);
    const now = opts.now();
    let hit = cache.get(id);
    if (!hit || now - hit.at > opts.cacheMs) {
      if (cache.size > 1_000) cache.clear();
      hit = { at: now, value: inventory.stock(id) };
      cache.set(id, hit);
      hit.value.catch(() => cache.delete(id));
    }
    const reply = await hit.value;
    if (!reply.ok) throw new AppError('PROMOTION_NOT_FOUND', reply.message, { status: 404 });
    return c.json({ promotionId: reply.promotionId, products: reply.products });
  });
}
