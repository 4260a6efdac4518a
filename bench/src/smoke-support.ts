/** Test fixture (not shipped behaviour): an isolated local stack for the bench's smoke runs. */
import { connectNats } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { createTestDatabase, type TestDatabase, testServers, uniqueName } from '@flashgate/shared/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';

export interface Isolation {
  env: NodeJS.ProcessEnv;
  database: TestDatabase;
  cleanup: () => Promise<void>;
}

/** Env for a stack of its own: a fresh database, its own Redis key prefix and NATS subject prefix. */
export async function isolatedEnv(): Promise<Isolation> {
  const servers = testServers();
  const database = await createTestDatabase();
  const prefix = uniqueName('bench');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: servers.redisUrl,
    NATS_URL: servers.natsUrl,
    DATABASE_URL: database.url,
    REDIS_KEY_PREFIX: prefix,
    NATS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'error',
  };
  return {
    env,
    database,
    cleanup: async () => {
      const redis = new Redis(servers.redisUrl);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      const nc = await connectNats(servers.natsUrl);
      try {
        const jsm = await jetstreamManager(nc);
        for (const stream of Object.values(natsNames(prefix).streams)) await jsm.streams.delete(stream).catch(() => false);
      } finally {
        await nc.close();
      }
      await database.drop();
    },
  };
}
