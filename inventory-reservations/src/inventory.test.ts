import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import { migrateToLatest } from '@flashgate/shared/db';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { createTestDatabase, testServers, uniqueName } from '@flashgate/shared/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { expect, it } from 'vitest';
import { migrations } from './adapters/db/migrations/index.js';
import { deleteInventoryStreams } from './adapters/nats/streams.js';
import { loadConfig } from './config.js';
import { createInventory, startInventory } from './inventory.js';

it('starts two nodes at the same moment on a fresh installation (streams, durables, rebuild lock)', async () => {
  const servers = testServers();
  const database = await createTestDatabase();
  const db = createDb(database.url, { searchPath: 'inventory', max: 4 });
  await migrateToLatest(db, { schema: 'inventory', migrations });
  const prefix = uniqueName('inv');
  const config = loadConfig({
    ...servers,
    REDIS_URL: servers.redisUrl,
    NATS_URL: servers.natsUrl,
    REDIS_KEY_PREFIX: prefix,
    NATS_SUBJECT_PREFIX: prefix,
  });
  const redis = createRedis(config.REDIS_URL);
  const nc = await connectNats(config.NATS_URL);
  const node = (name: string) =>
    createInventory({
      config,
      logger: createLogger(name, 'silent'),
      metrics: createMetrics(name, { defaultMetrics: false }),
      redis,
      nc,
      db,
    });
  try {
    const running = await Promise.all([startInventory(node('a')), startInventory(node('b'))]);
    const reply = await nc.request(`${prefix}.inventory.stock`, JSON.stringify({ promotionId: 'none' }), { timeout: 2_000 });
    expect(JSON.parse(reply.string())).toMatchObject({ ok: false, outcome: 'PROMOTION_NOT_FOUND' });
    await Promise.all(running.map((r) => r.stop()));
  } finally {
    await deleteInventoryStreams(await jetstreamManager(nc), node('c').names);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await nc.close();
    await db.destroy();
    await database.drop();
  }
});
