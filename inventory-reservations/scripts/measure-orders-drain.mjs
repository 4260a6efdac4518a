#!/usr/bin/env node
/**
 * Quick measurement of the confirm pipeline's write side: publishes N confirmed-order events to a
 * fresh orders stream, then times the durable consumer draining them into Postgres.
 *
 *   pnpm -s build && node inventory-reservations/scripts/measure-orders-drain.mjs [orders=100000] [batchSize=2000] [parallelBatches=2]
 */
import { connectNats, createDb } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { migrateToLatest } from '@flashgate/shared/db';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { createTestDatabase, uniqueName, waitFor } from '@flashgate/shared/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { sql } from 'kysely';
import { countOrders } from '../dist/adapters/db/order.repository.js';
import { migrations } from '../dist/adapters/db/migrations/index.js';
import { startOrdersConsumer } from '../dist/adapters/nats/orders-consumer.js';
import { deleteInventoryStreams, ensureInventoryStreams } from '../dist/adapters/nats/streams.js';
import { createInventoryMetrics } from '../dist/metrics.js';

const total = Number(process.argv[2] ?? 100_000);
const batchSize = Number(process.argv[3] ?? 2_000);
const parallelBatches = Number(process.argv[4] ?? 2);
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const database = await createTestDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const db = createDb(database.url, { searchPath: 'inventory', max: 4 });
await migrateToLatest(db, { schema: 'inventory', migrations });
const nc = await connectNats(natsUrl);
const names = natsNames(uniqueName('drain'));
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
try {
  await ensureInventoryStreams(jsm, names, { duplicateWindowMs: 120_000, ordersAckWaitMs: 30_000, ordersMaxAckPending: batchSize * 4 });
  const skus = ['A', 'B', 'C', 'D'];
  await sql`insert into stock_ledger (promotion_id, sku, name, price_cents, per_shopper_limit, initial_stock, promotion_version)
    select 'drain', s, s, 100, 10, ${total * 2}, 1 from unnest(${skus}::text[]) s`.execute(db);

  const t0 = performance.now();
  const confirmedAt = new Date().toISOString();
  for (let i = 0; i < total; i += 1_000) {
    const acks = [];
    for (let j = i; j < Math.min(total, i + 1_000); j++) {
      const event = {
        holdId: `h${j}`,
        orderId: `o${j}`,
        promotionId: 'drain',
        shopperId: `s${j % 5000}`,
        lines: [{ sku: skus[j % skus.length], quantity: 1, unitPriceCents: 100 }],
        amountCents: 100,
        paymentReference: `pay${j}`,
        confirmedAt,
      };
      acks.push(js.publish(names.subjects.orderConfirmed('drain'), JSON.stringify(event), { msgID: event.holdId }));
    }
    await Promise.all(acks);
  }
  const publishSeconds = (performance.now() - t0) / 1000;

  const metrics = createInventoryMetrics(createMetrics('drain', { defaultMetrics: false }));
  const started = performance.now();
  const consumer = await startOrdersConsumer({
    js,
    names,
    db,
    metrics,
    logger: createLogger('drain', 'warn'),
    batchSize,
    batchWaitMs: 20,
    nakDelayMs: 1_000,
    parallelBatches,
  });
  await waitFor(async () => (await countOrders(db, 'drain')) === total, { timeoutMs: 600_000, intervalMs: 50, what: 'drain' });
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  const batches = await metrics.batchLatency.get();
  const sum = batches.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = batches.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const ledger = await sql`select sum(confirmed)::int as confirmed from stock_ledger where promotion_id = 'drain'`.execute(db);
  console.log(
    JSON.stringify({
      orders: total,
      batchSize,
      parallelBatches,
      publishSeconds: Number(publishSeconds.toFixed(2)),
      drainSeconds: Number(seconds.toFixed(2)),
      ordersPerSecond: Math.round(total / seconds),
      ledgerConfirmed: ledger.rows[0].confirmed,
      batches: count,
      postgresSecondsTotal: Number(sum.toFixed(2)),
    }),
  );
} finally {
  await deleteInventoryStreams(jsm, names);
  await nc.close();
  await db.destroy();
  await database.drop();
}
