/** Test fixture (not shipped behaviour): one isolated service instance against the real servers. */
import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import type { InventoryVerb, PromotionSnapshot } from '@flashgate/shared/contracts';
import { migrateToLatest } from '@flashgate/shared/db';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { createTestDatabase, testServers, uniqueName } from '@flashgate/shared/testing';
import { migrations } from './adapters/db/migrations/index.js';
import { type OrdersConsumer, type OrdersConsumerOptions, startOrdersConsumer } from './adapters/nats/orders-consumer.js';
import { applySnapshot } from './adapters/nats/promotions-consumer.js';
import { deleteInventoryStreams } from './adapters/nats/streams.js';
import { loadConfig } from './config.js';
import { createInventory, type Inventory, type RunningInventory, type StartOptions, startInventory } from './inventory.js';

export interface Fixture {
  inv: Inventory;
  running: RunningInventory;
  request: <T = any>(verb: InventoryVerb, body: unknown, timeoutMs?: number) => Promise<T>;
  snapshot: (over?: Partial<PromotionSnapshot>) => PromotionSnapshot;
  apply: (s: PromotionSnapshot) => Promise<'applied' | 'stale'>;
  /** Starts an orders → Postgres consumer (small batches, short nak delay) for tests that drive it. */
  consumeOrders: (over?: Partial<OrdersConsumerOptions>) => Promise<OrdersConsumer>;
  restart: (opts?: StartOptions) => Promise<void>;
  close: () => Promise<void>;
}

export async function startFixture(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<Fixture> {
  const servers = testServers();
  const database = await createTestDatabase();
  const setup = createDb(database.url, { max: 1 });
  await migrateToLatest(setup, { schema: 'inventory', migrations });
  await setup.destroy();
  const config = loadConfig({
    REDIS_URL: servers.redisUrl,
    NATS_URL: servers.natsUrl,
    DATABASE_URL: database.url,
    REDIS_KEY_PREFIX: uniqueName('inv'),
    NATS_SUBJECT_PREFIX: uniqueName('inv'),
    RECONCILE_INTERVAL_MS: '0',
    ORDERS_BATCH_WAIT_MS: '5',
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    ...env,
  });
  const redis = createRedis(config.REDIS_URL);
  const nc = await connectNats(config.NATS_URL);
  const db = createDb(config.DATABASE_URL, { searchPath: 'inventory', max: 5 });
  const logger = createLogger('test', (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent');
  const inv = createInventory({ config, logger, metrics: createMetrics('test', { defaultMetrics: false }), redis, nc, db });
  let running = await startInventory(inv, opts);
  const promotionId = uniqueName('p');
  return {
    inv,
    get running() {
      return running;
    },
    request: async (verb, body, timeoutMs = 5_000) => {
      const m = await nc.request(inv.names.subjects.inventoryRequest(verb), typeof body === 'string' ? body : JSON.stringify(body), {
        timeout: timeoutMs,
      });
      return JSON.parse(m.string());
    },
    snapshot: (over = {}) => ({
      promotionId,
      version: 1,
      name: 'Flash',
      status: 'open',
      windowStart: new Date(Date.now() - 60_000).toISOString(),
      windowEnd: new Date(Date.now() + 3_600_000).toISOString(),
      products: [{ sku: 'HOT', name: 'Hot item', priceCents: 1999, stock: 10, perShopperLimit: 2 }],
      publishedAt: new Date().toISOString(),
      ...over,
    }),
    apply: (s) => applySnapshot({ db, store: inv.store, metrics: inv.inventoryMetrics, logger }, s),
    consumeOrders: (over = {}) =>
      startOrdersConsumer({
        js: running.js,
        names: inv.names,
        db,
        metrics: inv.inventoryMetrics,
        logger,
        batchSize: 10,
        batchWaitMs: 5,
        nakDelayMs: 100,
        ...over,
      }),
    restart: async (o = opts) => {
      await running.stop();
      running = await startInventory(inv, o);
    },
    close: async () => {
      await running.stop();
      await deleteInventoryStreams(running.jsm, inv.names);
      const keys = await redis.keys(`${config.REDIS_KEY_PREFIX}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await nc.close();
      await db.destroy();
      await database.drop();
    },
  };
}
