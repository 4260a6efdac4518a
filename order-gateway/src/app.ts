import { randomFillSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JWTVerifyGetKey } from 'jose';

import { natsNames } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { ServiceMetrics } from '@flashgate/shared/metrics';
import { natsCheck, redisCheck } from '@flashgate/shared/health';
import { createServiceApp } from '@flashgate/shared/http';
import type { Config } from './config.js';
import { admissionVerifier, remoteJwks } from './adapters/auth/admission-verifier.js';
import { natsInventoryClient } from './adapters/nats/inventory.client.js';
import { redisLedger } from './adapters/payment/sim-ledger.js';
import { SimulatedPaymentProvider } from './adapters/payment/simulated-payment-provider.js';
import { gatewayKeys } from './adapters/redis/keys.js';
import { OrderStore } from './adapters/redis/order.store.js';
import { createBulkhead, dependencyGuard } from './adapters/resilience.js';
import type { PaymentProvider } from './domain/payment-provider.js';
import { TokenBuckets } from './domain/token-bucket.js';
import { corsAllowList } from './http/cors.js';
import { mountOrderRoutes } from './http/orders.routes.js';
import { mountStockRoutes } from './http/stock.routes.js';
import { createGatewayMetrics } from './metrics.js';
import { startConfirmRecovery } from './services/confirm-recovery.service.js';
import type { OrderServiceDeps } from './services/deps.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  redis: Redis;
  nc: NatsConnection;
  /** Defaults to the built-in SimulatedPaymentProvider configured from PAYMENT_SIM_*, its charges in Redis. */
  payment?: PaymentProvider;
  /** Defaults to waiting-room's remote JWKS at WAITING_ROOM_URL. */
  jwks?: JWTVerifyGetKey;
  now?: () => number;
  isAccepting?: () => boolean;
  /** Stops background work (the confirm-recovery sweeper) when aborted; main aborts it on SIGTERM. */
  signal?: AbortSignal;
}

/**
 * `ord_` + 12 bytes from the CSPRNG, base64url. Bytes are drawn from a pool refilled 256 ids at a
 * time (as node's randomUUID does) instead of a randomBytes call per order; no byte is used twice.
 */
export const newOrderId = (() => {
  const ID_BYTES = 12;
  const pool = Buffer.allocUnsafe(ID_BYTES * 256);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const id = pool.toString('base64url', offset, offset + ID_BYTES);
    offset += ID_BYTES;
    return `ord_${id}`;
  };
})();

/** Routes and middleware only; clients are created by main.ts (or by a test) and passed in. */
export function buildApp(deps: AppDeps) {
  const { config } = deps;
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: [redisCheck(deps.redis), natsCheck(deps.nc)],
    dependencyTimeoutMs: config.DEPENDENCY_TIMEOUT_MS,
    isAccepting: deps.isAccepting,
  });

  app.use('*', corsAllowList(config.CORS_ALLOWED_ORIGINS)); // checkout page on the waiting-room origin
  const metrics = createGatewayMetrics(deps.metrics);
  const now = deps.now ?? Date.now;
  const breaker = { threshold: config.BREAKER_THRESHOLD, halfOpenMs: config.BREAKER_HALF_OPEN_MS };
  const guards = {
    redis: dependencyGuard('redis', { ...breaker, timeoutMs: config.REDIS_TIMEOUT_MS }, metrics),
    // NATS requests carry their own timeout; a second timer per request would only cost.
    inventory: dependencyGuard('inventory', breaker, metrics),
    payment: dependencyGuard('payment', { ...breaker, timeoutMs: config.PAYMENT_TIMEOUT_MS, abortable: true }, metrics),
  };
  const inventory = natsInventoryClient(
    deps.nc,
    natsNames(config.NATS_SUBJECT_PREFIX),
    guards.inventory,
    config.INVENTORY_TIMEOUT_MS,
    config.INVENTORY_HOLD_BATCH_MAX,
  );
  const keys = gatewayKeys(config.REDIS_KEY_PREFIX);
  const services: OrderServiceDeps = {
    config,
    logger: deps.logger,
    store: new OrderStore(deps.redis, keys),
    inventory,
    payment:
      deps.payment ??
      new SimulatedPaymentProvider({
        latencyMs: config.PAYMENT_SIM_LATENCY_MS,
        declineRate: config.PAYMENT_SIM_DECLINE_RATE,
        ledger: redisLedger(deps.redis, keys),
      }),
    guards: { redis: guards.redis, payment: guards.payment },
    metrics,
    now,
    newOrderId,
  };
  const jwks =
    deps.jwks ??
    remoteJwks(config.WAITING_ROOM_URL, {
      cacheMaxAgeMs: config.JWKS_CACHE_MAX_AGE_MS,
      cooldownMs: config.JWKS_COOLDOWN_MS,
      timeoutMs: config.JWKS_TIMEOUT_MS,
    });

  mountOrderRoutes(app, {
    services,
    verifier: admissionVerifier({
      jwks,
      clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
      cache: { maxEntries: config.ADMISSION_CACHE_MAX_ENTRIES, maxAgeMs: config.JWKS_CACHE_MAX_AGE_MS },
    }),
    bulkheads: {
      place: createBulkhead('place', config.PLACE_CONCURRENCY, config.PLACE_QUEUE, metrics),
      confirm: createBulkhead('confirm', config.CONFIRM_CONCURRENCY, config.CONFIRM_QUEUE, metrics),
    },
    limits: {
      global: new TokenBuckets({ ratePerSec: config.RATE_LIMIT_GLOBAL_PER_SEC, burst: config.RATE_LIMIT_GLOBAL_BURST }),
      shopper: new TokenBuckets({ ratePerSec: config.RATE_LIMIT_SHOPPER_PER_SEC, burst: config.RATE_LIMIT_SHOPPER_BURST }),
    },
  });
  mountStockRoutes(app, inventory, { cacheMs: 500, now });
  startConfirmRecovery(services, config.CONFIRM_RECOVERY_INTERVAL_MS, deps.signal);
  return app;
}
