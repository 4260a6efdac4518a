/**
 * Production entry: one process cannot hold more than some tens of thousands of sockets, so the
 * primary forks WORKERS workers (default: one per core), each running the whole service (main.ts)
 * on the same port; Node's cluster module hands incoming connections to workers round-robin. All
 * queue state lives in Redis, so workers are just more nodes. A crashed worker is replaced;
 * SIGTERM is passed to every worker, which drains as a single node would.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ConfigError } from '@flashgate/shared/config';
import { createLogger } from '@flashgate/shared/logger';
import { loadConfig } from './config.js';

if (cluster.isPrimary) {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`waiting-room: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('waiting-room-primary', config.LOG_LEVEL);
  if (!config.VISITOR_TOKEN_SECRET && config.NODE_ENV !== 'production') {
    // Workers must share one secret, or a shopper reconnecting to another worker would lose their place.
    process.env.VISITOR_TOKEN_SECRET = randomBytes(32).toString('base64url');
    logger.warn('VISITOR_TOKEN_SECRET is unset: generated one for this run (visitor tokens will not survive a restart)');
  }
  const count = config.WORKERS > 0 ? config.WORKERS : availableParallelism();
  // Round-robin spreads sockets evenly (each worker stays under its file limit) but every new
  // connection passes through the primary; under connection storms 'os' lets workers accept directly.
  cluster.schedulingPolicy = config.CLUSTER_SCHEDULING === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  let stopping = false;
  const startedAt = new Map<number, number>();
  let quickDeaths = 0;

  const fork = (): Worker => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    return w;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    if (code === 2) {
      logger.error('worker rejected the configuration; stopping');
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      process.exitCode = 2;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(2);
      return;
    }
    quickDeaths = lived < 5_000 ? quickDeaths + 1 : 0;
    if (quickDeaths >= count * 3) {
      logger.error({ code, signal }, 'workers keep dying at start; giving up');
      process.exit(1);
    }
    logger.warn({ pid: worker.process.pid, code, signal }, 'worker died; starting a replacement');
    setTimeout(fork, Math.min(quickDeaths * 250, 2_000));
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS + 2_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info({ workers: count, port: config.PORT, scheduling: config.CLUSTER_SCHEDULING }, 'starting waiting-room workers');
  for (let i = 0; i < count; i++) fork();
} else {
  process.on('SIGINT', () => {}); // the primary sends SIGTERM (see main.ts)
  await import('./main.js');
}
