import { natsNames, type NatsNames } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { ServiceMetrics } from '@flashgate/shared/metrics';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import {
  type DeadLetterReason,
  listDeadLetters,
  type ReplayOutcome,
  replayAllDeadLetters,
  replayDeadLetter,
} from './adapters/nats/dead-letters.js';
import { type OrdersConsumer, startOrdersConsumer } from './adapters/nats/orders-consumer.js';
import { startPromotionsConsumer } from './adapters/nats/promotions-consumer.js';
import { subscribeHandlers } from './adapters/nats/request-handlers.js';
import { startStockStatusPublisher } from './adapters/nats/stock-status.publisher.js';
import { ensureInventoryStreams } from './adapters/nats/streams.js';
import { listPromotions } from './adapters/db/promotion.repository.js';
import { createInventoryStore, type InventoryStore } from './adapters/redis/inventory.store.js';
import { type InventoryKeys, inventoryKeys } from './adapters/redis/keys.js';
import { registerScripts } from './adapters/redis/scripts.js';
import type { Config } from './config.js';
import { createInventoryMetrics, type InventoryMetrics } from './metrics.js';
import { startReaper } from './jobs/reaper.js';
import { rebuildAll } from './jobs/rebuild.js';
import { lastReconcile, reconcile } from './jobs/reconcile.js';
import { startRepublisher } from './jobs/republisher.js';

export interface InventoryDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  redis: Redis;
  nc: NatsConnection;
  db: Kysely<any>;
}

/** The service's parts that need no background work: keys, scripts, store, metrics, admin jobs. */
export function createInventory(d: InventoryDeps) {
  const keys: InventoryKeys = inventoryKeys(d.config.REDIS_KEY_PREFIX);
  const names: NatsNames = natsNames(d.config.NATS_SUBJECT_PREFIX);
  const store: InventoryStore = createInventoryStore(d.redis, keys, registerScripts(d.redis), {
    holdTtlMs: d.config.HOLD_TTL_SECONDS * 1000,
    paymentWindowMs: d.config.PAYMENT_WINDOW_SECONDS * 1000,
    endedRecordTtlMs: d.config.ENDED_HOLD_RECORD_TTL_SECONDS * 1000,
    confirmedRecordTtlMs: d.config.CONFIRMED_HOLD_RECORD_TTL_SECONDS * 1000,
  });
  const metrics: InventoryMetrics = createInventoryMetrics(d.metrics);
  const jobDeps = { db: d.db, redis: d.redis, keys, store, logger: d.logger, metrics };
  const js = jetstream(d.nc);
  const counted = (outcomes: ReplayOutcome[]) => {
    for (const o of outcomes) if (o.outcome !== 'not_found') metrics.deadLettersReplayed.inc({ result: o.outcome });
    d.logger.info({ outcomes }, 'dead letters replayed');
    return outcomes;
  };
  return {
    ...d,
    keys,
    names,
    store,
    inventoryMetrics: metrics,
    rebuild: () => rebuildAll(jobDeps),
    reconcile: (repair = d.config.RECONCILE_REPAIR) => reconcile(jobDeps, repair),
    lastReconcile: () => lastReconcile(jobDeps),
    deadLetters: {
      list: async (q: { after: number; limit: number; reason?: DeadLetterReason }) =>
        listDeadLetters(js, await jetstreamManager(d.nc), names, q),
      replay: async (seq: number) => counted([await replayDeadLetter(js, await jetstreamManager(d.nc), names, seq)])[0] as ReplayOutcome,
      replayAll: async (reason?: DeadLetterReason) => counted(await replayAllDeadLetters(js, await jetstreamManager(d.nc), names, reason)),
    },
  };
}

export type Inventory = ReturnType<typeof createInventory>;

export interface StartOptions {
  /** Test-only hook, see OrdersConsumerOptions.afterCommit. */
  afterCommit?: (holdIds: string[]) => Promise<void> | void;
  /** Tests run the orders consumer themselves. */
  ordersConsumer?: boolean;
}

/**
 * Starts everything that runs in the background: streams, a rebuild from Postgres (under the
 * lock), then the request handlers, the consumers and the jobs. Returns a stop in reverse order.
 */
export async function startInventory(inv: Inventory, opts: StartOptions = {}) {
  const c = inv.config;
  const js = jetstream(inv.nc);
  const jsm = await jetstreamManager(inv.nc);
  await ensureInventoryStreams(jsm, inv.names, {
    duplicateWindowMs: c.ORDERS_DUPLICATE_WINDOW_SECONDS * 1000,
    ordersAckWaitMs: c.ORDERS_ACK_WAIT_MS,
    ordersMaxAckPending: Math.max(1_000, c.ORDERS_BATCH_SIZE * 4),
  });
  await inv.rebuild();
  const common = { store: inv.store, metrics: inv.inventoryMetrics, logger: inv.logger };
  const status = startStockStatusPublisher({
    nc: inv.nc,
    names: inv.names,
    store: inv.store,
    logger: inv.logger,
    intervalMs: c.STOCK_STATUS_INTERVAL_MS,
    heartbeatMs: c.STOCK_STATUS_HEARTBEAT_MS,
  });
  const handlers = subscribeHandlers({
    ...common,
    nc: inv.nc,
    js,
    names: inv.names,
    publishTimeoutMs: c.PUBLISH_TIMEOUT_MS,
    onStockChanged: status.markDirty,
  });
  const promotions = await startPromotionsConsumer({
    ...common,
    js,
    names: inv.names,
    db: inv.db,
    nakDelayMs: c.ORDERS_NAK_DELAY_MS,
    onApplied: status.markDirty,
    onRedisLost: (promotionId) => {
      inv.logger.warn({ promotionId }, 'snapshot found redis without promotion state; rebuilding from Postgres');
      void inv.rebuild().catch((err: unknown) => inv.logger.error({ err }, 'rebuild failed'));
    },
  });
  let orders: OrdersConsumer | undefined;
  if (opts.ordersConsumer ?? true) {
    orders = await startOrdersConsumer({
      js,
      names: inv.names,
      db: inv.db,
      metrics: inv.inventoryMetrics,
      logger: inv.logger,
      batchSize: c.ORDERS_BATCH_SIZE,
      batchWaitMs: c.ORDERS_BATCH_WAIT_MS,
      nakDelayMs: c.ORDERS_NAK_DELAY_MS,
      parallelBatches: c.ORDERS_PARALLEL_BATCHES,
      afterCommit: opts.afterCommit,
    });
  }
  const reaper = startReaper({ ...common, intervalMs: c.REAPER_INTERVAL_MS, batch: c.REAPER_BATCH, onReaped: status.markDirty });
  const republisher = startRepublisher({
    ...common,
    js,
    names: inv.names,
    intervalMs: c.REPUBLISH_INTERVAL_MS,
    publishTimeoutMs: c.PUBLISH_TIMEOUT_MS,
  });
  // Redis came back (reconnect): if it lost a promotion (restart without persistence, failover to
  // an empty replica), rebuild from Postgres at once instead of answering PROMOTION_NOT_FOUND.
  const restoreIfLost = async () => {
    for (const p of await listPromotions(inv.db)) {
      if (!(await inv.redis.exists(inv.keys.promotion(p.promotionId).meta))) {
        inv.logger.warn({ promotionId: p.promotionId }, 'redis lost promotion state; rebuilding from Postgres');
        await inv.rebuild();
        return;
      }
    }
  };
  const onRedisReady = () => {
    restoreIfLost().catch((err: unknown) => inv.logger.error({ err }, 'restoring lost redis state failed'));
  };
  inv.redis.on('ready', onRedisReady);
  let reconcileTimer: NodeJS.Timeout | undefined;
  if (c.RECONCILE_INTERVAL_MS > 0) {
    reconcileTimer = setInterval(() => {
      inv.reconcile().catch((err: unknown) => inv.logger.warn({ err }, 'reconciliation failed'));
    }, c.RECONCILE_INTERVAL_MS);
    reconcileTimer.unref();
  }
  return {
    js,
    jsm,
    orders,
    reaper,
    republisher,
    stop: async () => {
      clearInterval(reconcileTimer);
      inv.redis.off('ready', onRedisReady);
      await handlers.stop();
      reaper.stop();
      republisher.stop();
      status.stop();
      await promotions.stop();
      await orders?.stop();
    },
  };
}

export type RunningInventory = Awaited<ReturnType<typeof startInventory>>;
