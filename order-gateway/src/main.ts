/** Composition root: config → clients → app → HTTP server; SIGTERM drains and closes in order. */
import { ConfigError } from '@flashgate/shared/config';
import { connectNats, createRedis } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { serveHttp } from '@flashgate/shared/http';
import { installShutdown } from '@flashgate/shared/shutdown';
import { buildApp } from './app.js';
import { type Config, confirmLockTooShort, loadConfig } from './config.js';

const SERVICE = 'order-gateway';

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
const shortLock = confirmLockTooShort(config);
if (shortLock) {
  logger.warn(
    shortLock,
    'CONFIRM_LOCK_SECONDS is not above the longest a confirm can take with these timeouts; a sweeper may take over a live confirm',
  );
}
const metrics = createMetrics(SERVICE);
// Auto-pipelining: the begin/finish scripts of concurrent orders share one socket write (fewer syscalls per order).
const redis = createRedis(config.REDIS_URL, { logger, name: SERVICE, enableAutoPipelining: true });
const nc = await connectNats(config.NATS_URL, { logger, name: SERVICE });

let accepting = true;
const background = new AbortController();
const app = buildApp({ config, logger, metrics, redis, nc, isAccepting: () => accepting, signal: background.signal });
const http = await serveHttp(app, { port: config.PORT, host: config.HOST, backlog: config.LISTEN_BACKLOG });
logger.info({ url: http.url }, `${SERVICE} listening`);

installShutdown(
  [
    {
      name: 'stop accepting',
      run: () => {
        accepting = false;
        background.abort();
      },
    },
    { name: 'close http', run: () => http.close() },
    { name: 'drain nats', run: () => nc.drain() },
    { name: 'close redis', run: async () => void (await redis.quit()) },
  ],
  { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
);
