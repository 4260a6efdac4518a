import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import { connectNats, createRedis } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics, type ServiceMetrics } from '@flashgate/shared/metrics';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import { buildApp } from '../app.js';
import { type Config, loadConfig } from '../config.js';
import { SimulatedPaymentProvider } from '../adapters/payment/simulated-payment-provider.js';
import { startTestIssuer, type TestIssuer } from './jwks-server.js';
import { startTestInventory, type TestInventory, type TestProduct } from './test-inventory.js';

export const PROMO = 'promo-1';
export const OTHER_PROMO = 'promo-2';

export const PRODUCTS: TestProduct[] = [
  { sku: 'SKU-A', stock: 100, perShopperLimit: 2, priceCents: 1000 },
  { sku: 'SKU-B', stock: 5, perShopperLimit: 5, priceCents: 2500 },
  { sku: 'SKU-C', stock: 1, perShopperLimit: 1, priceCents: 9900 },
];

/** A test clock: real time plus an offset the test can move forward (JWT checks keep real time). */
export function testClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

export interface Gateway {
  app: ReturnType<typeof buildApp>;
  config: Config;
  redis: Redis;
  nc: NatsConnection;
  issuer: TestIssuer;
  inventory: TestInventory | null;
  payment: SimulatedPaymentProvider;
  metrics: ServiceMetrics;
  clock: ReturnType<typeof testClock>;
  close: () => Promise<void>;
}

/**
 * One isolated gateway per test file: its own Redis key prefix and NATS subject prefix on the
 * real servers, a real JWKS HTTP server, and (unless `inventory: false`) the in-test inventory responder.
 */
export async function startGateway(
  opts: { env?: Record<string, string>; inventory?: boolean; payment?: SimulatedPaymentProvider } = {},
): Promise<Gateway> {
  const servers = testServers();
  const issuer = await startTestIssuer();
  const config = loadConfig({
    REDIS_URL: servers.redisUrl,
    NATS_URL: servers.natsUrl,
    REDIS_KEY_PREFIX: uniqueName('gw'),
    NATS_SUBJECT_PREFIX: uniqueName('gw'),
    WAITING_ROOM_URL: issuer.url,
    LOG_LEVEL: 'silent',
    PAYMENT_SIM_LATENCY_MS: '0',
    RATE_LIMIT_SHOPPER_PER_SEC: '0',
    RATE_LIMIT_GLOBAL_PER_SEC: '0',
    // Off unless a test asks: a sweeper resuming orders behind a test's back (the test clock jumps
    // past CONFIRM_LOCK_SECONDS) would race the test's own confirms.
    CONFIRM_RECOVERY_INTERVAL_MS: '0',
    ...opts.env,
  });
  const logger = createLogger('order-gateway', config.LOG_LEVEL);
  const redis = createRedis(config.REDIS_URL, { name: 'order-gateway-test' });
  const nc = await connectNats(config.NATS_URL, { name: 'order-gateway-test' });
  const clock = testClock();
  const inventory =
    opts.inventory === false
      ? null
      : await startTestInventory(nc, natsNames(config.NATS_SUBJECT_PREFIX), { [PROMO]: PRODUCTS, [OTHER_PROMO]: PRODUCTS }, clock);
  const payment =
    opts.payment ??
    new SimulatedPaymentProvider({ latencyMs: config.PAYMENT_SIM_LATENCY_MS, declineRate: config.PAYMENT_SIM_DECLINE_RATE });
  const metrics = createMetrics('order-gateway', { defaultMetrics: false });
  const background = new AbortController();
  const app = buildApp({ config, logger, metrics, redis, nc, payment, now: clock.now, signal: background.signal });
  return {
    app,
    config,
    redis,
    nc,
    issuer,
    inventory,
    payment,
    metrics,
    clock,
    close: async () => {
      background.abort();
      await inventory?.stop();
      // Tolerates a Redis the test has stopped on purpose.
      const keys = await redis.keys(`${config.REDIS_KEY_PREFIX}:*`).catch(() => [] as string[]);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await nc.drain();
      await issuer.close();
    },
  };
}

export interface TestResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: any;
}

type Call = (
  method: string,
  path: string,
  init?: { token?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<TestResponse>;

export interface TestClient {
  call: Call;
  place: (token: string, body: unknown, key?: string | null) => Promise<TestResponse>;
  get: (token: string, id: string) => Promise<TestResponse>;
  confirm: (token: string, id: string, body?: unknown) => Promise<TestResponse>;
  cancel: (token: string, id: string) => Promise<TestResponse>;
}

/** Request helpers speaking the gateway's HTTP API in-process. */
export function client(gw: Gateway): TestClient {
  const call: Call = async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    }
    const res = await gw.app.request(path, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as any };
  };
  return {
    call,
    place: (token: string, body: unknown, key: string | null = uniqueName('idem')) =>
      call('POST', '/orders', { token, body, headers: key === null ? {} : { 'idempotency-key': key } }),
    get: (token: string, id: string) => call('GET', `/orders/${id}`, { token }),
    confirm: (token: string, id: string, body?: unknown) => call('POST', `/orders/${id}/confirm`, { token, body }),
    cancel: (token: string, id: string) => call('POST', `/orders/${id}/cancel`, { token }),
  };
}

export const order = (lines: { sku: string; quantity: number }[], promotionId = PROMO) => ({ promotionId, lines });
