import { natsCheck, postgresCheck, redisCheck } from '@flashgate/shared/health';
import { createServiceApp } from '@flashgate/shared/http';
import { mountRoutes } from './http/routes.js';
import { createInventory, type Inventory, type InventoryDeps } from './inventory.js';

export interface AppDeps extends InventoryDeps {
  isAccepting?: () => boolean;
  /** The running service's parts; created here when absent (tests of the HTTP surface alone). */
  inventory?: Inventory;
}

/** Routes and middleware only; clients are created by main.ts (or by a test) and passed in. */
export function buildApp(deps: AppDeps) {
  const inv = deps.inventory ?? createInventory(deps);
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: [redisCheck(deps.redis), natsCheck(deps.nc), postgresCheck(deps.db)],
    dependencyTimeoutMs: deps.config.DEPENDENCY_TIMEOUT_MS,
    isAccepting: deps.isAccepting,
  });
  mountRoutes(app, {
    store: inv.store,
    adminToken: deps.config.ADMIN_TOKEN,
    reconcile: () => inv.reconcile(),
    lastReconcile: () => inv.lastReconcile(),
    rebuild: () => inv.rebuild(),
    deadLetters: { ...inv.deadLetters, duplicateWindowSeconds: deps.config.ORDERS_DUPLICATE_WINDOW_SECONDS },
  });
  return app;
}
