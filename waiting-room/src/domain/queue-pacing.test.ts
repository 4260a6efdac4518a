import { randomUUID } from 'node:crypto';
import { createRedis } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { testServers, uniqueName, waitFor } from '@flashgate/shared/testing';
import { afterAll, expect, it } from 'vitest';
import { createRedisQueueStore } from '../adapters/redis/redis-queue-store.js';
import { queueKeys } from '../adapters/redis/queue-keys.js';
import { createTestSigner, deleteKeys, MapDirectory, makePromotion, sleep } from '../ws/queue-test-kit.js';
import { QueueEngine } from './queue-engine.js';

const prefix = uniqueName('wrp');
const redis = createRedis(testServers().redisUrl);

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

/**
 * A correctness test, not a benchmark: the promise is "admission paced at the configured rate",
 * checked over 30 s with a ±2% tolerance (the acceptance figure). It is slow because the
 * promise is about a rate over time; it asserts nothing about speed.
 */
it('admits at the configured rate within 2% over 30 s', { timeout: 60_000 }, async () => {
  const rate = 40;
  const store = createRedisQueueStore(redis, { keyPrefix: prefix });
  const directory = new MapDirectory();
  const p = directory.put(makePromotion({ admissionRatePerSec: rate, maxActiveShoppers: 100_000 }));
  await store.drawPrequeue(p.id);
  const pipeline = redis.pipeline();
  const waiting = queueKeys(prefix).forPromotion(p.id).waiting;
  for (let i = 1; i <= 1_500; i++) pipeline.zadd(waiting, i, randomUUID());
  pipeline.set(queueKeys(prefix).forPromotion(p.id).seq, 1_500);
  await pipeline.exec();
  const tokens = queueKeys(prefix).forPromotion(p.id).tokens;

  const engine = new QueueEngine({
    store,
    directory,
    signer: await createTestSigner(),
    logger: createLogger('test', 'silent'),
    timing: { admitIntervalMs: 100, leaseTtlMs: 1_500, tickIntervalMs: 1_000, sweepIntervalMs: 60_000 },
  });
  await engine.start();
  await engine.ensure(p.id);
  await waitFor(async () => (await redis.hlen(tokens)) > 0, { what: 'first admission' });
  await sleep(500);
  const t0 = performance.now();
  const n0 = await redis.hlen(tokens);
  await sleep(30_000);
  const n1 = await redis.hlen(tokens);
  const seconds = (performance.now() - t0) / 1000;
  await engine.stop();
  const measured = (n1 - n0) / seconds;
  expect(Math.abs(measured - rate) / rate).toBeLessThan(0.02);
});
