import { waitFor } from '@flashgate/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOrders } from '../adapters/db/order.repository.js';
import { ensureInventoryStreams, ordersStreamConfig } from '../adapters/nats/streams.js';
import { type Fixture, startFixture } from '../test-support.js';

describe('confirmed but unpublished orders', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ PUBLISH_TIMEOUT_MS: '300', REPUBLISH_INTERVAL_MS: '100' }, { ordersConsumer: false });
    await f.apply(f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 5, perShopperLimit: 5 }] }));
  });
  afterAll(async () => {
    await f?.close();
  });

  it('keeps a confirm whose JetStream publish failed, and the republisher delivers it to Postgres', async () => {
    const promotionId = f.snapshot().promotionId;
    const h = await f.request('hold', { orderId: 'o1', promotionId, shopperId: 's', lines: [{ sku: 'HOT', quantity: 2 }] });
    // JetStream loses the orders stream: the publish cannot be acknowledged.
    await f.running.jsm.streams.delete(f.inv.names.streams.orders);
    const c = await f.request('confirm', { holdId: h.holdId, promotionId, orderId: 'o1', paymentReference: 'pay' });
    expect(c).toMatchObject({ ok: false, outcome: 'UNAVAILABLE' });
    expect(await f.inv.store.unpublished(promotionId)).toEqual([h.holdId]);
    // The stock stays sold: the hold is confirmed, only its publish is outstanding.
    expect((await f.request('stock', { promotionId })).products[0]).toMatchObject({ available: 3, confirmed: 2 });

    await ensureInventoryStreams(f.running.jsm, f.inv.names, {
      duplicateWindowMs: 120_000,
      ordersAckWaitMs: 30_000,
      ordersMaxAckPending: 1000,
    });
    expect((await f.running.jsm.streams.info(ordersStreamConfig(f.inv.names, 120_000).name)).config.duplicate_window).toBe(120_000_000_000);
    await waitFor(async () => (await f.inv.store.unpublished(promotionId)).length === 0, { timeoutMs: 5_000, what: 'republished' });
    const consumer = await f.consumeOrders();
    await waitFor(async () => (await countOrders(f.inv.db, promotionId)) === 1, { what: 'order persisted' });
    await consumer.stop();
    // A retried confirm now answers ok (idempotent) and writes nothing twice.
    expect((await f.request('confirm', { holdId: h.holdId, promotionId, orderId: 'o1', paymentReference: 'pay' })).ok).toBe(true);
  });
});
