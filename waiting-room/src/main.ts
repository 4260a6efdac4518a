/** Composition root: config → clients → app → HTTP server; SIGTERM drains and closes in order. */
import cluster from 'node:cluster';
import { ConfigError } from '@flashgate/shared/config';
import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { serveHttp } from '@flashgate/shared/http';
import { installShutdown } from '@flashgate/shared/shutdown';
import { buildApp } from './app.js';
import { type Config, loadConfig } from './config.js';
import { createPromotionsRuntime } from './promotions-runtime.js';
import { createQueueRuntime, type QueueRuntime } from './queue-runtime.js';

const SERVICE = 'waiting-room';

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
const promotions = createPromotionsRuntime({ config, db, nc, logger, metrics });
await promotions.start();
let queue: QueueRuntime;
try {
  queue = createQueueRuntime({ config, redis, nc, directory: promotions.directory, signer: promotions.keyRing, logger, metrics });
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${SERVICE}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
await queue.start();
let accepting = true;
const app = buildApp({ config, logger, metrics, redis, nc, db, promotions, queue, isAccepting: () => accepting });
const http = await serveHttp(app, { port: config.PORT, host: config.HOST, backlog: config.LISTEN_BACKLOG });
queue.attach(http.server);
logger.info({ url: http.url }, `${SERVICE} listening`);

installShutdown(
  [
    {
      name: 'stop accepting',
      run: () => {
        accepting = false;
      },
    },
    { name: 'close queue sockets, release admitter leases', run: () => queue.stop() },
    { name: 'close http', run: () => http.close() },
    { name: 'stop promotions', run: () => promotions.stop() },
    { name: 'drain nats', run: () => nc.drain() },
    { name: 'close redis', run: async () => void (await redis.quit()) },
    { name: 'close postgres', run: () => db.destroy() },
  ],
  // Under cluster.ts the primary turns Ctrl-C into one SIGTERM per worker; a worker reacting to the
  // terminal's SIGINT as well would take that SIGTERM as a second signal and skip draining.
  { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, signals: cluster.isWorker ? ['SIGTERM'] : undefined },
);
