import { connectNats } from '../clients/index.js';
import { natsNames } from '../contracts/index.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';

/**
 * Removes what a run left on shared servers under its own prefixes: Redis keys starting with the key
 * prefix and the JetStream streams named from the subject prefix. Only ever called with prefixes the
 * caller (a test's stack, or a bench run) chose itself.
 */
export async function removeRunState(opts: {
  redisUrl: string;
  natsUrl: string;
  redisKeyPrefix: string;
  natsSubjectPrefix: string;
}): Promise<void> {
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${opts.redisKeyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  const nc = await connectNats(opts.natsUrl);
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of Object.values(natsNames(opts.natsSubjectPrefix).streams)) await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}
