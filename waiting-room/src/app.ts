import type { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Logger } from '@flashgate/shared/logger';
import type { ServiceMetrics } from '@flashgate/shared/metrics';
import { natsCheck, postgresCheck, redisCheck } from '@flashgate/shared/health';
import { createServiceApp } from '@flashgate/shared/http';
import type { Config } from './config.js';
import { adminAuth } from './http/admin-auth.js';
import { adminKeyRoutes } from './http/admin-keys.js';
import { adminPromotionRoutes } from './http/admin-promotions.js';
import { adminStatsRoutes } from './http/admin-stats.js';
import { jwksRoutes } from './http/jwks.js';
import { pageRoutes } from './http/pages.js';
import type { PromotionsRuntime } from './promotions-runtime.js';
import { queueRoutes } from './http/queue.routes.js';
import type { QueueRuntime } from './queue-runtime.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  redis: Redis;
  nc: NatsConnection;
  db: Kysely<any>;
  isAccepting?: () => boolean;
  /** Promotions, their directory and the admission key ring (createPromotionsRuntime); mounts /admin and the JWKS. */
  promotions?: PromotionsRuntime;
  /** The live queue (createQueueRuntime); mounts the polling endpoints (the WebSocket is attached to the server). */
  queue?: QueueRuntime;
}

/** Routes and middleware only; clients are created by main.ts (or by a test) and passed in. */
export function buildApp(deps: AppDeps) {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: [redisCheck(deps.redis), natsCheck(deps.nc), postgresCheck(deps.db)],
    dependencyTimeoutMs: deps.config.DEPENDENCY_TIMEOUT_MS,
    isAccepting: deps.isAccepting,
  });
  app.route('/', pageRoutes({ gatewayUrl: deps.config.ORDER_GATEWAY_PUBLIC_URL })); // HTML pages before /admin/* auth: the console page itself is public
  // Every /admin route (including ones mounted elsewhere) needs the admin token.
  app.use('/admin/*', adminAuth(deps.config.ADMIN_TOKEN));
  if (deps.promotions) {
    app.route('/admin', adminPromotionRoutes(deps.promotions.service));
    app.route('/admin', adminKeyRoutes(deps.promotions.keyRing));
    app.route('/', jwksRoutes(deps.promotions.keyRing));
  }
  if (deps.queue) app.route('/', queueRoutes(deps.queue));
  if (deps.promotions && deps.queue) app.route('/admin', adminStatsRoutes({ directory: deps.promotions.directory, queue: deps.queue }));
  return app;
}
