import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureServers } from './infra/src/servers/index.js';

/**
 * Uses the servers named by REDIS_URL, NATS_URL and DATABASE_URL (CI sets them to the machine's);
 * starts private throwaway ones for any that are not named. Test files isolate themselves inside
 * these servers by key prefix, subject prefix and database.
 */
export default async function setup() {
  const dataDir = join(import.meta.dirname, '.data', `test-${process.pid}`);
  const servers = await ensureServers({
    dataDir,
    durable: false,
    database: 'postgres',
    log: (l) => process.stdout.write(`[test servers] ${l}\n`),
  });
  process.env.REDIS_URL = servers.redisUrl;
  process.env.NATS_URL = servers.natsUrl;
  process.env.DATABASE_URL = servers.databaseUrl;
  return async () => {
    await servers.stop();
    if (servers.started.length > 0) rmSync(dataDir, { recursive: true, force: true });
  };
}
