/** Test-only: nodes of the waiting room's promotions side against real Postgres and NATS, isolated per file. */
import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { migrateToLatest } from '@flashgate/shared/db';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { createTestDatabase, type TestDatabase, testServers, uniqueName } from '@flashgate/shared/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { migrations } from './adapters/db/migrations/index.js';
import { buildApp } from './app.js';
import { type Config, loadConfig } from './config.js';
import { createPromotionsRuntime, type PromotionsRuntime } from './promotions-runtime.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const SCHEMA = 'waiting_room';

export interface TestNode {
  config: Config;
  db: Kysely<any>;
  nc: NatsConnection;
  runtime: PromotionsRuntime;
  app: ReturnType<typeof buildApp>;
  metrics: ReturnType<typeof createMetrics>;
  /** JSON request to the app with the admin token (or `auth`), answering status + parsed body. */
  admin: (method: string, path: string, body?: unknown, auth?: string | null) => Promise<{ status: number; body: any }>;
}

export interface PromotionsTestEnv {
  prefix: string;
  database: TestDatabase;
  startNode: (opts?: { env?: Record<string, string>; clock?: () => Date; natsUrl?: string; start?: boolean }) => Promise<TestNode>;
  cleanup: () => Promise<void>;
}

export async function promotionsTestEnv(): Promise<PromotionsTestEnv> {
  const servers = testServers();
  const prefix = uniqueName('wrp');
  const database = await createTestDatabase();
  const setupDb = createDb(database.url, { max: 1 });
  await migrateToLatest(setupDb, { schema: SCHEMA, migrations });
  await setupDb.destroy();
  const closers: (() => Promise<void> | void)[] = [];

  return {
    prefix,
    database,
    startNode: async (opts = {}) => {
      const config = loadConfig({
        DATABASE_URL: database.url,
        NATS_URL: opts.natsUrl ?? servers.natsUrl,
        REDIS_URL: servers.redisUrl,
        NATS_SUBJECT_PREFIX: prefix,
        DB_SCHEMA: SCHEMA,
        ADMIN_TOKEN,
        LOG_LEVEL: 'silent',
        PROMOTION_REFRESH_MS: '5000',
        ...opts.env,
      });
      const logger = createLogger('waiting-room', config.LOG_LEVEL);
      const metrics = createMetrics('waiting-room', { defaultMetrics: false });
      const db = createDb(config.DATABASE_URL, { searchPath: SCHEMA, max: 4 });
      const nc = await connectNats(config.NATS_URL);
      const redis = createRedis(config.REDIS_URL, { lazyConnect: true });
      const runtime = createPromotionsRuntime({ config, db, nc, logger, metrics, clock: opts.clock });
      if (opts.start ?? true) await runtime.start();
      const app = buildApp({ config, logger, metrics, redis, nc, db, promotions: runtime });
      closers.push(async () => {
        runtime.stop();
        redis.disconnect();
        if (!nc.isClosed()) await nc.close();
        await db.destroy();
      });
      const admin: TestNode['admin'] = async (method, path, body, auth = ADMIN_TOKEN) => {
        const headers: Record<string, string> = {};
        if (auth !== null) headers.authorization = `Bearer ${auth}`;
        if (body !== undefined) headers['content-type'] = 'application/json';
        const res = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      };
      return { config, db, nc, runtime, app, metrics, admin };
    },
    cleanup: async () => {
      for (const close of closers.reverse()) await close();
      const nc = await connectNats(servers.natsUrl);
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(natsNames(prefix).streams.promotions).catch(() => undefined);
      } finally {
        await nc.close();
      }
      await database.drop();
    },
  };
}

/** A valid create body, times relative to now; override any field. */
export function promotionBody(overrides: Record<string, unknown> = {}, now = Date.now()) {
  return {
    name: 'Sneaker drop',
    windowStart: new Date(now + 60 * 60_000).toISOString(),
    windowEnd: new Date(now + 2 * 60 * 60_000).toISOString(),
    products: [
      { sku: 'SNK-1', name: 'Sneaker', priceCents: 12_000, stock: 100, perShopperLimit: 2 },
      { sku: 'SNK-2', name: 'Sneaker, red', priceCents: 13_000, stock: 50, perShopperLimit: 1 },
    ],
    admissionRatePerSec: 50,
    maxActiveShoppers: 500,
    ...overrides,
  };
}
