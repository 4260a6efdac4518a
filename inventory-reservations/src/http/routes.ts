import { AppError, dependencyUnavailable } from '@flashgate/shared/errors';
import { type AppEnv, parseParams } from '@flashgate/shared/http';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { InventoryStore } from '../adapters/redis/inventory.store.js';
import type { ReconcileReport } from '../domain/reconciliation.js';
import { adminAuth } from './admin-auth.js';
import { type DeadLetterRouteDeps, mountDeadLetterRoutes } from './dead-letters.routes.js';

export interface RouteDeps {
  store: InventoryStore;
  adminToken: string | undefined;
  reconcile: () => Promise<ReconcileReport>;
  lastReconcile: () => Promise<ReconcileReport | undefined>;
  rebuild: () => Promise<{ promotions: number }>;
  deadLetters: DeadLetterRouteDeps;
}

const promotionParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
});

export function mountRoutes(app: Hono<AppEnv>, d: RouteDeps): void {
  app.get('/promotions/:id/stock', async (c) => {
    const { id } = parseParams(c.req.param(), promotionParams);
    const products = await d.store.stock(id).catch((err: unknown) => {
      throw dependencyUnavailable('redis', err);
    });
    if (!products) throw new AppError('PROMOTION_NOT_FOUND', `no promotion ${id}`, { status: 404 });
    return c.json({
      promotionId: id,
      products: products.map((p) => ({ sku: p.sku, name: p.name, priceCents: p.priceCents, available: p.available })),
    });
  });

  app.use('/admin/*', adminAuth(d.adminToken));
  app.post('/admin/reconcile', async (c) => c.json(await d.reconcile()));
  app.get('/admin/reconcile/last', async (c) => {
    const last = await d.lastReconcile();
    if (!last) throw new AppError('NOT_FOUND', 'no reconciliation has run yet', { status: 404 });
    return c.json(last);
  });
  app.post('/admin/rebuild', async (c) => c.json(await d.rebuild()));
  mountDeadLetterRoutes(app, d.deadLetters);
}
