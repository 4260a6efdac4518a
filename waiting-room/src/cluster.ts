/**
 * Production entry: one process cannot hold more than some tens of thousands of sockets, so the
 * primary forks WORKERS workers (default: one per core), each running the whole service (main.ts)
 * on the same port. All queue state lives in Redis, so workers are just more nodes.
 */
import { randomBytes } from 'node:crypto';
import cluster from 'node:cluster';
import { runCluster } from '@flashgate/shared/cluster';
import { ConfigError } from '@flashgate/shared/config';
import { createLogger } from '@flashgate/shared/logger';
import { type Config, loadConfig } from './config.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`waiting-room: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const primaryLogger = () => createLogger('waiting-room-primary', config.LOG_LEVEL);

if (cluster.isPrimary && !config.VISITOR_TOKEN_SECRET && config.NODE_ENV !== 'production') {
  // Workers must share one secret, or a shopper reconnecting to another worker would lose their place.
  process.env.VISITOR_TOKEN_SECRET = randomBytes(32).toString('base64url');
  primaryLogger().warn('VISITOR_TOKEN_SECRET is unset: generated one for this run (visitor tokens will not survive a restart)');
}

await runCluster({
  workers: config.WORKERS,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  logger: primaryLogger,
  startWorker: () => import('./main.js'),
  scheduling: config.CLUSTER_SCHEDULING,
});
