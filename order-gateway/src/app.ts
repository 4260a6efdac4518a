import type { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/transport-node';

import type { Logger } from '@flashgate/shared/logger';
import type { ServiceMetrics } from '@flashgate/shared/metrics';
import { natsCheck, redisCheck } from '@flashgate/shared/health';
import { createServiceApp } from '@flashgate/shared/http';
import type { Config } from './config.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  redis: Redis;
  nc: NatsConnection;

  isAccepting?: () => boolean;
}

/** Routes and middleware only; clients are created by main.ts (or by a test) and passed in. */
export function buildApp(deps: AppDeps) {
  const app = createServiceApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: [redisCheck(deps.redis), natsCheck(deps.nc)],
    dependencyTimeoutMs: deps.config.DEPENDENCY_TIMEOUT_MS,
    isAccepting: deps.isAccepting,
  });
  return app;
}
