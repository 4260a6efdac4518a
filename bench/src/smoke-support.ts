/** Test fixture (not shipped behaviour): an isolated local stack for the bench's smoke runs. */
import { freePort } from '@flashgate/infra/servers';
import { createTestDatabase, removeRunState, type TestDatabase, testServers, uniqueName } from '@flashgate/shared/testing';

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
    // Free ports, never the defaults: a developer's `pnpm start` (or another test run) may hold 3001–3003.
    WAITING_ROOM_PORT: String(await freePort()),
    ORDER_GATEWAY_PORT: String(await freePort()),
    INVENTORY_PORT: String(await freePort()),
  };
  return {
    env,
    database,
    cleanup: async () => {
      await removeRunState({ redisUrl: servers.redisUrl, natsUrl: servers.natsUrl, redisKeyPrefix: prefix, natsSubjectPrefix: prefix });
      await database.drop();
    },
  };
}
