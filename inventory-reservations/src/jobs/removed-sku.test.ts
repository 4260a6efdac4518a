import type { PromotionProduct } from '@flashgate/shared/contracts';
import { waitFor } from '@flashgate/shared/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOrders } from '../adapters/db/order.repository.js';
import { buildApp } from '../app.js';
import { type Fixture, startFixture } from '../test-support.js';

const A: PromotionProduct = { sku: 'A', name: 'Kept', priceCents: 100, stock: 10, perShopperLimit: 5 };
const B: PromotionProduct = { sku: 'B', name: 'Dropped', priceCents: 300, stock: 5, perShopperLimit: 5 };

describe('a SKU a newer snapshot no longer lists', () => {
  let f: Fixture;
  beforeAll(async () => {
    // Short holds so one can expire during the test; the others are prepared (payment window) first.
    f = await startFixture({ HOLD_TTL_SECONDS: '2', STOCK_STATUS_HEARTBEAT_MS: '100' }, { ordersConsumer: false });
  });
  afterAll(async () => {
    await f?.close();
  });

  const hold = (promotionId: string, orderId: string, lines: { sku: string; quantity: number }[]) =>
    f.request('hold', { orderId, promotionId, shopperId: `s-${orderId}`, lines });
  const heldAndPrepared = async (promotionId: string, orderId: string, sku: string, quantity: number) => {
    const h = await hold(promotionId, orderId, [{ sku, quantity }]);
    expect(h.ok).toBe(true);
    expect((await f.request('prepare', { holdId: h.holdId, promotionId, orderId })).ok).toBe(true);
    return h.holdId as string;
  };
  const confirm = (promotionId: string, orderId: string, holdId: string) =>
    f.request('confirm', { holdId, promotionId, orderId, paymentReference: `pay-${orderId}` });
  const skusOnSale = async (promotionId: string) =>
    ((await f.request('stock', { promotionId })).products as { sku: string }[]).map((p) => p.sku);
  const ledger = async (promotionId: string) => {
    const r = await sql<{ sku: string; initial_stock: number; confirmed: number }>`
      select sku, initial_stock, confirmed from stock_ledger where promotion_id = ${promotionId} order by sku`.execute(f.inv.db);
    return r.rows;
  };
  const drainOrders = async (promotionId: string, expected: number) => {
    const c = await f.consumeOrders();
    await waitFor(async () => (await countOrders(f.inv.db, promotionId)) === expected, { timeoutMs: 10_000, what: 'persisted' });
    await c.stop();
  };

  it('goes off sale, while its live holds still confirm or expire and its orders stay, with no drift', async () => {
    const v1 = f.snapshot({ products: [A, B] });
    const id = v1.promotionId;
    await f.apply(v1);
    const persisted = await heldAndPrepared(id, 'ben', 'B', 1);
    expect((await confirm(id, 'ben', persisted)).ok).toBe(true);
    await drainOrders(id, 1); // ben's order is in Postgres
    const inFlight = await heldAndPrepared(id, 'cat', 'B', 1);
    expect((await confirm(id, 'cat', inFlight)).ok).toBe(true); // cat's is only in the stream
    const live = await heldAndPrepared(id, 'ann', 'B', 2); // ann is paying
    expect((await hold(id, 'dan', [{ sku: 'B', quantity: 1 }])).ok).toBe(true); // dan walks away

    expect(await f.apply(f.snapshot({ version: 2, products: [A] }))).toBe('applied');
    expect(await f.inv.metrics.registry.getSingleMetricAsString('inventory_snapshot_skus_removed_total')).toMatch(/ 1$/m);

    // New holds for it answer UNKNOWN_SKU; a mixed order holds nothing at all.
    expect(await hold(id, 'eve', [{ sku: 'B', quantity: 1 }])).toMatchObject({ ok: false, outcome: 'UNKNOWN_SKU', sku: 'B' });
    expect(
      await hold(id, 'fay', [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 1 },
      ]),
    ).toMatchObject({ outcome: 'UNKNOWN_SKU' });
    expect(await skusOnSale(id)).toEqual(['A']);
    const page = await buildApp({ ...f.inv, inventory: f.inv }).request(`/promotions/${id}/stock`);
    expect(((await page.json()) as any).products.map((p: { sku: string }) => p.sku)).toEqual(['A']);
    let status: any;
    for await (const m of f.inv.nc.subscribe(f.inv.names.subjects.stockStatus(id), { max: 1, timeout: 5_000 })) {
      status = JSON.parse(m.string());
    }
    expect(status).toMatchObject({ promotionId: id, available: 10, soldOut: false });

    // ann's live hold still confirms; dan's expires and gives back — to a SKU that stays off sale.
    expect((await confirm(id, 'ann', live)).ok).toBe(true);
    const k = f.inv.keys.promotion(id);
    await waitFor(async () => (await f.inv.redis.zcard(k.expiry)) === 0, { timeoutMs: 10_000, what: 'dan expired' });
    expect(await f.inv.redis.hmget(k.held, 'B')).toEqual(['0']);
    expect((await hold(id, 'gus', [{ sku: 'B', quantity: 1 }])).outcome).toBe('UNKNOWN_SKU');

    // cat's and ann's orders reach Postgres against the ledger row the SKU kept.
    await drainOrders(id, 3);
    expect(await ledger(id)).toEqual([
      { sku: 'A', initial_stock: 10, confirmed: 0 },
      { sku: 'B', initial_stock: 5, confirmed: 4 },
    ]);

    for (const repair of [false, true]) {
      const report = await f.inv.reconcile(repair);
      expect(report.drifted).toBe(0);
      const b = report.promotions.find((p) => p.promotionId === id)?.skus.find((s) => s.sku === 'B');
      expect(b).toMatchObject({ listed: false, availableDrift: 0, oversold: false, expected: { available: 1, held: 0, confirmed: 4 } });
    }

    // Rebuild from Postgres, with Redis intact and then with Redis emptied: B stays off sale.
    await f.inv.rebuild();
    expect((await hold(id, 'hal', [{ sku: 'B', quantity: 1 }])).outcome).toBe('UNKNOWN_SKU');
    const keys = await f.inv.redis.keys(`${f.inv.config.REDIS_KEY_PREFIX}:*`);
    await f.inv.redis.del(...keys);
    await f.inv.rebuild();
    expect(await skusOnSale(id)).toEqual(['A']);
    expect((await hold(id, 'ivy', [{ sku: 'B', quantity: 1 }])).outcome).toBe('UNKNOWN_SKU');
    expect((await f.inv.reconcile(false)).drifted).toBe(0);

    // Listed again (v3, more stock): only what Postgres has not sold comes back.
    await f.apply(f.snapshot({ version: 3, products: [A, { ...B, stock: 6 }] }));
    expect((await f.request('stock', { promotionId: id })).products.find((p: { sku: string }) => p.sku === 'B')).toMatchObject({
      available: 2,
      confirmed: 4,
    });
    expect((await f.inv.reconcile(false)).drifted).toBe(0);
  });

  it('drops a SKU edited out of a scheduled promotion before it opens (the case the waiting room allows)', async () => {
    const id = 'scheduled-edit';
    await f.apply(f.snapshot({ promotionId: id, status: 'scheduled', products: [A, B] }));
    await f.apply(f.snapshot({ promotionId: id, version: 2, status: 'prequeue', products: [A] }));
    await f.apply(f.snapshot({ promotionId: id, version: 3, status: 'open', products: [A] }));
    expect(await skusOnSale(id)).toEqual(['A']);
    expect((await hold(id, 'jon', [{ sku: 'B', quantity: 1 }])).outcome).toBe('UNKNOWN_SKU');
    expect((await hold(id, 'kim', [{ sku: 'A', quantity: 1 }])).ok).toBe(true);
    await f.inv.rebuild();
    expect((await hold(id, 'lou', [{ sku: 'B', quantity: 1 }])).outcome).toBe('UNKNOWN_SKU');
    expect((await f.inv.reconcile(false)).drifted).toBe(0);
  });
});
