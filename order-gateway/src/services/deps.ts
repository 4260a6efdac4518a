import type { Logger } from '@flashgate/shared/logger';
import type { Config } from '../config.js';
import type { PaymentProvider } from '../domain/payment-provider.js';
import type { InventoryClient } from '../adapters/nats/inventory.client.js';
import type { OrderStore } from '../adapters/redis/order.store.js';
import type { DependencyGuard } from '../adapters/resilience.js';
import type { GatewayMetrics } from '../metrics.js';

/** What the order services need; built once by buildApp. */
export interface OrderServiceDeps {
  config: Config;
  logger: Logger;
  store: OrderStore;
  inventory: InventoryClient;
  payment: PaymentProvider;
  guards: { redis: DependencyGuard; payment: DependencyGuard };
  metrics: GatewayMetrics;
  now: () => number;
  newOrderId: () => string;
}

/** A finished HTTP answer (status, JSON body, extra headers): what idempotency stores and replays. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
