/** Composition root: config → clients → app → HTTP server; SIGTERM drains and closes in order. */
import { ConfigError } from '@flashgate/shared/config';
import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { serveHttp } from '@flashgate/shared/http';
import { installShutdown } from '@flashgate/shared/shutdown';
import { buildApp } from './app.js';
import { type Config, loadConfig } from './config.js';
import { createInventory, startInventory } from './inventory.js';

const SERVICE = 'inventory-reservations';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${SERVICE}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const logger = createLogger(SERVICE, config.LOG_LEVEL);
const metrics = createMetrics(SERVICE);
const redis = createRedis(config.REDIS_URL, { logger, name: SERVICE });
const nc = await connectNats(config.NATS_URL, { logger, name: SERVICE });
const db = createDb(config.DATABASE_URL, { searchPath: config.DB_SCHEMA, applicationName: SERVICE });
let accepting = true;
const inventory = createInventory({ config, logger, metrics, redis, nc, db });
// Rebuilds stock from Postgres (under the Redis lock) before the first request is taken.
const running = await startInventory(inventory);
const app = buildApp({ config, logger, metrics, redis, nc, db, inventory, isAccepting: () => accepting });
const http = await serveHttp(app, { port: config.PORT, host: config.HOST });
logger.info({ url: http.url }, `${SERVICE} listening`);

installShutdown(
  [
    {
      name: 'stop accepting',
      run: () => {
        accepting = false;
      },
    },
    { name: 'close http', run: () => http.close() },
    { name: 'stop handlers, consumers and jobs', run: () => running.stop() },
    { name: 'drain nats', run: () => nc.drain() },
    { name: 'close redis', run: async () => void (await redis.quit()) },
    { name: 'close postgres', run: () => db.destroy() },
  ],
  { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
);
