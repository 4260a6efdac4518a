import { waitFor } from '@flashgate/shared/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOrders } from '../adapters/db/order.repository.js';
import { buildApp } from '../app.js';
import { type Fixture, startFixture } from '../test-support.js';

const TOKEN = 'test-admin-token-0123456789';

describe('rebuild from Postgres and reconciliation', () => {
  let f: Fixture;
  let promotionId: string;
  beforeAll(async () => {
    f = await startFixture({}, { ordersConsumer: false });
    promotionId = f.snapshot().promotionId;
    await f.apply(f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 20, perShopperLimit: 5 }] }));
  });
  afterAll(async () => {
    await f?.close();
  });

  const hold = (orderId: string, shopperId: string, quantity: number) =>
    f.request('hold', { orderId, promotionId, shopperId, lines: [{ sku: 'HOT', quantity }] });
  const buy = async (orderId: string, shopperId: string, quantity: number) => {
    const h = await hold(orderId, shopperId, quantity);
    expect(h.ok).toBe(true);
    expect((await f.request('confirm', { holdId: h.holdId, promotionId, orderId, paymentReference: 'p' })).ok).toBe(true);
  };
  const stock = async () => (await f.request('stock', { promotionId })).products[0];

  it('rebuilds available = initial − confirmed (Postgres and in flight) − live holds', async () => {
    await buy('a', 'ann', 5); // ann reaches her limit
    await buy('b', 'ben', 2);
    const consumer = await f.consumeOrders();
    await waitFor(async () => (await countOrders(f.inv.db, promotionId)) === 2, { what: 'persisted' });
    await consumer.stop();
    await buy('c', 'cat', 3); // confirmed, still only in the stream
    await hold('d', 'dan', 4); // live hold
    expect(await stock()).toMatchObject({ available: 6, held: 4, confirmed: 10 });

    // Corrupt every counter, then rebuild.
    const k = f.inv.keys.promotion(promotionId);
    await f.inv.redis.hset(k.stock, 'HOT', 999);
    await f.inv.redis.hset(k.held, 'HOT', 0);
    await f.inv.redis.hset(k.confirmed, 'HOT', 1);
    await f.inv.redis.del(k.shopper);
    await f.inv.rebuild();
    expect(await stock()).toMatchObject({ available: 6, held: 4, confirmed: 10 });
    // Per-shopper counters came back from Postgres too: ann is at her limit.
    expect((await hold('a2', 'ann', 1)).outcome).toBe('LIMIT_EXCEEDED');
    expect((await hold('c2', 'cat', 3)).outcome).toBe('LIMIT_EXCEEDED');
    expect((await hold('c3', 'cat', 2)).ok).toBe(true);
    expect(await stock()).toMatchObject({ available: 4, held: 6 });
  });

  it('restores a promotion Redis lost entirely, from Postgres alone', async () => {
    const keys = await f.inv.redis.keys(`${f.inv.config.REDIS_KEY_PREFIX}:*`);
    await f.inv.redis.del(...keys);
    await f.inv.rebuild();
    // Live holds and in-flight confirms died with Redis; Postgres has 7 units confirmed.
    expect(await stock()).toMatchObject({ initialStock: 20, available: 13, held: 0, confirmed: 7 });
    expect((await hold('a3', 'ann', 1)).outcome).toBe('LIMIT_EXCEEDED');
    expect((await hold('e1', 'eve', 1)).ok).toBe(true);
  });

  it('never applies a newer snapshot onto a Redis that lost the promotion (that would resell confirmed stock)', async () => {
    const before = await stock();
    const keys = await f.inv.redis.keys(`${f.inv.config.REDIS_KEY_PREFIX}:*`);
    await f.inv.redis.del(...keys);
    // v2 raises stock by 5. Applied by delta onto nothing, it would make all 25 units available again.
    const v2 = f.snapshot({ version: 2, products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 25, perShopperLimit: 5 }] });
    await expect(f.apply(v2)).rejects.toThrow(/lost promotion/);
    await f.inv.rebuild();
    expect(await f.apply(v2)).toBe('applied');
    expect(await stock()).toMatchObject({ initialStock: 25, confirmed: before.confirmed, available: 25 - before.confirmed });
  });

  it('detects an injected drift, reports it, and repairs it', async () => {
    const app = buildApp({ ...f.inv, inventory: f.inv });
    const before = await stock();
    await f.inv.redis.hincrby(f.inv.keys.promotion(promotionId).stock, 'HOT', 3);
    expect((await stock()).available).toBe(before.available + 3);

    expect((await app.request('/admin/reconcile', { method: 'POST' })).status).toBe(401);
    expect((await app.request('/admin/reconcile', { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const res = await app.request('/admin/reconcile', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as any;
    expect(report.drifted).toBe(1);
    const sku = report.promotions.find((p: any) => p.promotionId === promotionId).skus[0];
    expect(sku).toMatchObject({ sku: 'HOT', availableDrift: 3, repaired: true, oversold: false });
    expect(await stock()).toMatchObject({ available: before.available });
    const metrics = await f.inv.metrics.registry.getSingleMetricAsString('inventory_stock_drift');
    expect(metrics).toMatch(new RegExp(`inventory_stock_drift\\{promotion="${promotionId}",sku="HOT"[^}]*\\} 3`));

    const last = await app.request('/admin/reconcile/last', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await last.json()) as any).startedAt).toBe(report.startedAt);
    const clean = (await (
      await app.request('/admin/reconcile', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as any;
    expect(clean.drifted).toBe(0);
  });
});

describe('promotion snapshots', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('applies newer versions by stock delta, ignores stale ones, refuses to lower below held', async () => {
    const p = (version: number, stock: number) =>
      f.snapshot({ version, products: [{ sku: 'A', name: 'A', priceCents: 100, stock, perShopperLimit: 10 }] });
    const promotionId = p(1, 1).promotionId;
    const stockOf = async () => (await f.request('stock', { promotionId })).products[0];
    expect(await f.apply(p(1, 10))).toBe('applied');
    const h = await f.request('hold', { orderId: 'o1', promotionId, shopperId: 's', lines: [{ sku: 'A', quantity: 6 }] });
    expect(h.ok).toBe(true);
    expect(await f.apply(p(2, 15))).toBe('applied');
    expect(await stockOf()).toMatchObject({ initialStock: 15, available: 9, held: 6 });
    expect(await f.apply(p(1, 100))).toBe('stale');
    expect(await f.apply(p(2, 100))).toBe('stale');
    expect(await f.apply(p(3, 4))).toBe('applied'); // below the 6 held: refused for this SKU
    expect(await stockOf()).toMatchObject({ initialStock: 15, available: 9 });
    const refused = await f.inv.metrics.registry.getSingleMetricAsString('inventory_snapshot_stock_refused_total');
    expect(refused).toMatch(/ 1$/m);
    const ledger = await sql<{ initial_stock: number; promotion_version: number }>`
      select initial_stock, promotion_version from stock_ledger where promotion_id = ${promotionId}`.execute(f.inv.db);
    expect(ledger.rows[0]).toEqual({ initial_stock: 15, promotion_version: 3 });
  });

  it('consumes snapshots from the promotions stream and closes the promotion when its status says so', async () => {
    const snap = f.snapshot({ promotionId: 'streamed', products: [{ sku: 'S', name: 'S', priceCents: 1, stock: 3, perShopperLimit: 1 }] });
    await f.running.js.publish(f.inv.names.subjects.promotionSnapshot('streamed'), JSON.stringify(snap), { msgID: 'streamed:1' });
    await waitFor(async () => (await f.request('stock', { promotionId: 'streamed' })).ok, { what: 'snapshot applied' });
    const closed = { ...snap, version: 2, status: 'closed' as const };
    await f.running.js.publish(f.inv.names.subjects.promotionSnapshot('streamed'), JSON.stringify(closed), { msgID: 'streamed:2' });
    let n = 0;
    await waitFor(
      async () => {
        const r = await f.request('hold', {
          orderId: `z${n++}`,
          promotionId: 'streamed',
          shopperId: `s${n}`,
          lines: [{ sku: 'S', quantity: 1 }],
        });
        return r.outcome === 'PROMOTION_NOT_OPEN';
      },
      { what: 'promotion closed' },
    );
  });
});
