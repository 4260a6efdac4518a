import { freePort } from '@flashgate/infra/servers';
import { createDb } from '@flashgate/shared/clients';
import { waitFor } from '@flashgate/shared/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../../test-support.js';
import { countOrders } from '../db/order.repository.js';
import { startOrdersConsumer } from './orders-consumer.js';

describe('orders → Postgres consumer', () => {
  let f: Fixture;
  beforeAll(async () => {
    // The test drives the consumer itself; a short ack wait makes redelivery quick.
    f = await startFixture({ ORDERS_ACK_WAIT_MS: '1000', ORDERS_NAK_DELAY_MS: '100' }, { ordersConsumer: false });
  });
  afterAll(async () => {
    await f?.close();
  });

  const consumer = (afterCommit?: (ids: string[]) => void) =>
    startOrdersConsumer({
      js: f.running.js,
      names: f.inv.names,
      db: f.inv.db,
      metrics: f.inv.inventoryMetrics,
      logger: f.inv.logger,
      batchSize: 100,
      batchWaitMs: 20,
      nakDelayMs: 100,
      afterCommit,
    });

  const drained = async () => {
    const info = await f.running.jsm.consumers.info(f.inv.names.streams.orders, f.inv.names.consumers.ordersToPostgres);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };

  const confirmMany = async (promotionId: string, n: number, prefix: string) => {
    for (let i = 0; i < n; i++) {
      const h = await f.request('hold', {
        orderId: `${prefix}${i}`,
        promotionId,
        shopperId: `${prefix}s${i}`,
        lines: [{ sku: 'HOT', quantity: 1 }],
      });
      const c = await f.request('confirm', { holdId: h.holdId, promotionId, orderId: `${prefix}${i}`, paymentReference: 'pay' });
      expect(c.ok).toBe(true);
    }
  };

  const metric = async (name: string) => {
    const text = await f.inv.metrics.registry.getSingleMetricAsString(name);
    return text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  };

  it('writes no duplicate when it crashes after the commit and before the ack', async () => {
    const snap = f.snapshot({
      promotionId: 'crash',
      products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 30, perShopperLimit: 1 }],
    });
    await f.apply(snap);
    await confirmMany('crash', 12, 'c');

    let crashes = 0;
    const first = await consumer(() => {
      crashes++;
      throw new Error('simulated crash between commit and ack');
    });
    await expect(first.done).rejects.toThrow('simulated crash');
    await first.stop();
    expect(crashes).toBeGreaterThanOrEqual(1); // one per batch in flight
    const afterCrash = await countOrders(f.inv.db, 'crash');
    expect(afterCrash).toBeGreaterThan(0);

    const second = await consumer();
    await waitFor(async () => (await countOrders(f.inv.db, 'crash')) === 12 && (await drained()), { timeoutMs: 10_000, what: 'drained' });
    await second.stop();
    const rows = await sql<{ n: string; d: string }>`
      select count(*) as n, count(distinct hold_id) as d from orders where promotion_id = 'crash'`.execute(f.inv.db);
    expect(Number(rows.rows[0]?.n)).toBe(12);
    const ledger = await sql<{ confirmed: number }>`select confirmed from stock_ledger where promotion_id = 'crash'`.execute(f.inv.db);
    expect(ledger.rows[0]?.confirmed).toBe(12);
    expect(await metric('inventory_orders_duplicate_total')).toBeGreaterThanOrEqual(afterCrash);
  });

  it('treats a redelivered order (same hold id, past the dedup window) as already written', async () => {
    const snap = f.snapshot({
      promotionId: 'redeliver',
      products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 5, perShopperLimit: 5 }],
    });
    await f.apply(snap);
    const event = {
      holdId: 'h-redeliver',
      orderId: 'o-redeliver',
      promotionId: 'redeliver',
      shopperId: 's',
      lines: [{ sku: 'HOT', quantity: 2, unitPriceCents: 100 }],
      amountCents: 200,
      paymentReference: 'p',
      confirmedAt: new Date().toISOString(),
    };
    const subject = f.inv.names.subjects.orderConfirmed('redeliver');
    // Different msgIDs stand in for a publish repeated after the duplicate window.
    await f.running.js.publish(subject, JSON.stringify(event), { msgID: 'a' });
    await f.running.js.publish(subject, JSON.stringify(event), { msgID: 'b' });
    const c = await consumer();
    await waitFor(drained, { timeoutMs: 10_000, what: 'drained' });
    await c.stop();
    expect(await countOrders(f.inv.db, 'redeliver')).toBe(1);
    const ledger = await sql<{ confirmed: number }>`select confirmed from stock_ledger where promotion_id = 'redeliver'`.execute(f.inv.db);
    expect(ledger.rows[0]?.confirmed).toBe(2);
  });

  it('naks with a delay while Postgres is unreachable, dead-letters nothing, and writes everything once it is back', async () => {
    const snap = f.snapshot({
      promotionId: 'transient',
      products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 10, perShopperLimit: 1 }],
    });
    await f.apply(snap);
    await confirmMany('transient', 4, 't');
    const deadBefore = await metric('inventory_orders_dead_lettered_total');
    // A real connection failure: nothing listens on this port.
    const unreachable = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/nowhere`, { max: 1 });
    const broken = await startOrdersConsumer({
      js: f.running.js,
      names: f.inv.names,
      db: unreachable,
      metrics: f.inv.inventoryMetrics,
      logger: f.inv.logger,
      batchSize: 100,
      batchWaitMs: 20,
      nakDelayMs: 200,
    });
    await waitFor(async () => (await metric('inventory_order_batch_retries_total')) >= 2, { timeoutMs: 10_000, what: 'retries' });
    await broken.stop();
    await unreachable.destroy();
    expect(await countOrders(f.inv.db, 'transient')).toBe(0);
    const healthy = await consumer();
    await waitFor(async () => (await countOrders(f.inv.db, 'transient')) === 4 && (await drained()), {
      timeoutMs: 10_000,
      what: 'drained',
    });
    await healthy.stop();
    expect(await metric('inventory_orders_dead_lettered_total')).toBe(deadBefore);
  });

  it('terminates poison messages into the dead-letter subject with a metric, and writes the rest', async () => {
    const snap = f.snapshot({
      promotionId: 'poison',
      products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 3, perShopperLimit: 5 }],
    });
    await f.apply(snap);
    const subject = f.inv.names.subjects.orderConfirmed('poison');
    const good = (i: number, qty = 1) => ({
      holdId: `h${i}`,
      orderId: `o${i}`,
      promotionId: 'poison',
      shopperId: `s${i}`,
      lines: [{ sku: 'HOT', quantity: qty, unitPriceCents: 100 }],
      amountCents: 100 * qty,
      paymentReference: 'p',
      confirmedAt: new Date().toISOString(),
    });
    const before = await metric('inventory_orders_dead_lettered_total');
    await f.running.js.publish(subject, 'not json', { msgID: 'bad-json' });
    await f.running.js.publish(subject, JSON.stringify({ holdId: 'x' }), { msgID: 'bad-schema' });
    await f.running.js.publish(subject, JSON.stringify(good(1)), { msgID: 'h1' });
    // Would take the ledger past its stock: the ledger refuses it, alone.
    await f.running.js.publish(subject, JSON.stringify(good(2, 5)), { msgID: 'h2' });
    await f.running.js.publish(subject, JSON.stringify({ ...good(3), lines: [{ sku: 'NOPE', quantity: 1, unitPriceCents: 1 }] }), {
      msgID: 'h3',
    });
    await f.running.js.publish(subject, JSON.stringify(good(4)), { msgID: 'h4' });

    const c = await consumer();
    await waitFor(drained, { timeoutMs: 10_000, what: 'drained' });
    await c.stop();
    const rows = await sql<{ hold_id: string }>`select hold_id from orders where promotion_id = 'poison' order by 1`.execute(f.inv.db);
    expect(rows.rows.map((r) => r.hold_id)).toEqual(['h1', 'h4']);
    expect((await metric('inventory_orders_dead_lettered_total')) - before).toBe(4);
    const dead = await f.running.jsm.streams.info(f.inv.names.streams.deadLetters);
    expect(dead.state.messages).toBe(4);
    const ledger = await sql<{ confirmed: number }>`select confirmed from stock_ledger where promotion_id = 'poison'`.execute(f.inv.db);
    expect(ledger.rows[0]?.confirmed).toBe(2);
  });
});
