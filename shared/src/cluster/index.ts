/**
 * Runs a service as a cluster of worker processes on one port (Node's cluster module hands
 * incoming connections to workers round-robin) — for services whose state lives in Redis/NATS, so
 * a worker is just one more node. The primary forks `workers` workers, replaces a crashed one
 * (giving up when they keep dying at start), stops everything when a worker rejects its
 * configuration (exit code 2), and passes SIGTERM/SIGINT on as SIGTERM so every worker drains as a
 * single node would. Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group;
 * the primary decides) and run `startWorker` (the service's main module). /metrics on any worker
 * answers the whole group: the primary aggregates every worker's registry (metrics/cluster-metrics.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { joinClusterMetrics, serveClusterMetrics } from '../metrics/cluster-metrics.js';

export interface ClusterOptions {
  /** 0 = one per core. */
  workers: number;
  /** How long workers get to drain before the primary gives up on them. */
  shutdownTimeoutMs: number;
  /** Logger of the primary (created only in the primary). */
  logger: () => Logger;
  /** Imports the service's main module in a worker. */
  startWorker: () => Promise<unknown>;
  /** Extra Node/V8 flags for the workers (after the primary's own execArgv). */
  workerExecArgv?: string[];
  /**
   * 'rr' (default): the primary accepts and deals connections round-robin, so sockets spread evenly
   * and each worker stays under its open-file limit; 'os': workers accept directly, which copes
   * better with connection storms but may load workers unevenly.
   */
  scheduling?: 'rr' | 'os';
}

export async function runCluster(opts: ClusterOptions): Promise<void> {
  if (!cluster.isPrimary) {
    process.on('SIGINT', () => {});
    joinClusterMetrics();
    await opts.startWorker();
    return;
  }
  const logger = opts.logger();
  serveClusterMetrics();
  cluster.schedulingPolicy = opts.scheduling === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  const count = opts.workers > 0 ? opts.workers : availableParallelism();
  let stopping = false;
  let quickDeaths = 0;
  const startedAt = new Map<number, number>();
  if (opts.workerExecArgv?.length) cluster.setupPrimary({ execArgv: [...process.execArgv, ...opts.workerExecArgv] });
  const alive = () => Object.keys(cluster.workers ?? {}).length;
  const fork = (): Worker => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    return w;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (alive() === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (code === 2) {
      logger.error('worker rejected the configuration; stopping');
      stopping = true;
      process.exitCode = 2;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      if (alive() === 0) process.exit(2);
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
    logger.info({ signal, workers: alive() }, 'stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), opts.shutdownTimeoutMs + 2_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info({ workers: count, scheduling: opts.scheduling ?? 'rr' }, 'starting workers');
  for (let i = 0; i < count; i++) fork();
}
