import { countOrders } from '../db/order.repository.js';
import { waitFor } from '@flashgate/shared/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../../test-support.js';

describe('holds over NATS request/reply', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  const stockOf = async (promotionId: string, sku: string) => {
    const r = await f.request('stock', { promotionId });
    return r.products.find((p: { sku: string }) => p.sku === sku);
  };

  it('never holds or confirms more than the stock when hundreds of buyers hit one SKU', async () => {
    const snap = f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 500, stock: 25, perShopperLimit: 1 }] });
    await f.apply(snap);
    const statuses: { soldOut: boolean; confirmed: number }[] = [];
    const sub = f.inv.nc.subscribe(f.inv.names.subjects.stockStatus(snap.promotionId), {
      callback: (_err, m) => {
        statuses.push(JSON.parse(m.string()));
      },
    });
    const buyers = 400;
    const replies = await Promise.all(
      Array.from({ length: buyers }, (_, i) =>
        f.request('hold', { orderId: `o${i}`, promotionId: snap.promotionId, shopperId: `s${i}`, lines: [{ sku: 'HOT', quantity: 1 }] }),
      ),
    );
    const held = replies.filter((r) => r.ok);
    expect(held.length).toBe(25);
    expect(replies.filter((r) => !r.ok).every((r) => r.outcome === 'SOLD_OUT')).toBe(true);

    // Confirm them all concurrently (each twice: the retry must not double anything).
    const confirms = await Promise.all(
      held.flatMap((h, i) =>
        [1, 2].map(() =>
          f.request('confirm', {
            holdId: h.holdId,
            promotionId: snap.promotionId,
            orderId: `o${replies.indexOf(h)}`,
            paymentReference: `pay${i}`,
          }),
        ),
      ),
    );
    expect(confirms.every((c) => c.ok)).toBe(true);

    await waitFor(async () => (await countOrders(f.inv.db, snap.promotionId)) === held.length, {
      timeoutMs: 10_000,
      what: 'orders in Postgres',
    });
    const ledger = await sql<{ confirmed: number; initial_stock: number }>`
      select confirmed, initial_stock from stock_ledger where promotion_id = ${snap.promotionId}`.execute(f.inv.db);
    expect(ledger.rows[0]?.confirmed).toBe(held.length);
    expect(ledger.rows[0]!.confirmed).toBeLessThanOrEqual(ledger.rows[0]!.initial_stock);
    const rows = await sql<{ hold_id: string }>`select hold_id from orders where promotion_id = ${snap.promotionId}`.execute(f.inv.db);
    expect(new Set(rows.rows.map((r) => r.hold_id))).toEqual(new Set(held.map((h) => h.holdId)));
    const s = await stockOf(snap.promotionId, 'HOT');
    expect(s).toMatchObject({ available: 0, held: 0, confirmed: 25 });
    // The waiting room hears (throttled) that the promotion is sold out for good.
    await waitFor(() => statuses.some((e) => e.soldOut && e.confirmed === 25), { what: 'sold-out status' });
    expect(statuses.length).toBeLessThan(50);
    sub.unsubscribe();
  });

  it('never holds more units than the stock when racing orders ask for different quantities', async () => {
    const snap = f.snapshot({
      promotionId: 'mixed',
      products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 25, perShopperLimit: 3 }],
    });
    await f.apply(snap);
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        f.request('hold', { orderId: `q${i}`, promotionId: 'mixed', shopperId: `q${i}`, lines: [{ sku: 'HOT', quantity: 1 + (i % 3) }] }),
      ),
    );
    const units = replies.filter((r) => r.ok).reduce((n, r) => n + r.lines[0].quantity, 0);
    expect(units).toBeLessThanOrEqual(25);
    expect(units).toBeGreaterThanOrEqual(23); // the last unit(s) can only go to an order small enough
    expect(await stockOf('mixed', 'HOT')).toMatchObject({ available: 25 - units, held: units });
  });

  it('holds the same orderId once, even when the retries race', async () => {
    const snap = f.snapshot({ promotionId: 'idem', products: [{ sku: 'A', name: 'A', priceCents: 100, stock: 50, perShopperLimit: 50 }] });
    await f.apply(snap);
    const req = { orderId: 'same-order', promotionId: 'idem', shopperId: 'alice', lines: [{ sku: 'A', quantity: 3 }] };
    const replies = await Promise.all(Array.from({ length: 20 }, () => f.request('hold', req)));
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(new Set(replies.map((r) => r.holdId)).size).toBe(1);
    expect(replies.filter((r) => !r.replayed).length).toBe(1);
    expect(await stockOf('idem', 'A')).toMatchObject({ available: 47, held: 3 });

    const released = await f.request('release', { holdId: replies[0].holdId, promotionId: 'idem', reason: 'cancelled' });
    expect(released).toEqual({ ok: true, released: true });
    const again = await f.request('hold', req);
    expect(again).toMatchObject({ ok: false, outcome: 'HOLD_RELEASED' });
    expect(await stockOf('idem', 'A')).toMatchObject({ available: 50, held: 0 });
  });

  it('holds all lines or none, and enforces the per-shopper limit across holds', async () => {
    const snap = f.snapshot({
      promotionId: 'multi',
      products: [
        { sku: 'A', name: 'A', priceCents: 100, stock: 10, perShopperLimit: 3 },
        { sku: 'B', name: 'B', priceCents: 250, stock: 1, perShopperLimit: 3 },
      ],
    });
    await f.apply(snap);
    const lines = [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 2 },
    ];
    const r = await f.request('hold', { orderId: 'm1', promotionId: 'multi', shopperId: 'bob', lines });
    expect(r).toMatchObject({ ok: false, outcome: 'SOLD_OUT', sku: 'B' });
    expect(await stockOf('multi', 'A')).toMatchObject({ available: 10, held: 0 });

    const ok = await f.request('hold', {
      orderId: 'm2',
      promotionId: 'multi',
      shopperId: 'bob',
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 1 },
      ],
    });
    expect(ok).toMatchObject({ ok: true, amountCents: 450 });
    const over = await f.request('hold', { orderId: 'm3', promotionId: 'multi', shopperId: 'bob', lines: [{ sku: 'A', quantity: 2 }] });
    expect(over).toMatchObject({ ok: false, outcome: 'LIMIT_EXCEEDED', sku: 'A' });
    const fine = await f.request('hold', { orderId: 'm4', promotionId: 'multi', shopperId: 'bob', lines: [{ sku: 'A', quantity: 1 }] });
    expect(fine.ok).toBe(true);
    const unknown = await f.request('hold', { orderId: 'm5', promotionId: 'multi', shopperId: 'eve', lines: [{ sku: 'Z', quantity: 1 }] });
    expect(unknown).toMatchObject({ ok: false, outcome: 'UNKNOWN_SKU' });
    const nope = await f.request('hold', { orderId: 'm6', promotionId: 'nope', shopperId: 'eve', lines: [{ sku: 'A', quantity: 1 }] });
    expect(nope).toMatchObject({ ok: false, outcome: 'PROMOTION_NOT_FOUND' });
  });

  it('keeps one shopper within the limit even when their orders race', async () => {
    const snap = f.snapshot({
      promotionId: 'greedy',
      products: [{ sku: 'A', name: 'A', priceCents: 100, stock: 100, perShopperLimit: 2 }],
    });
    await f.apply(snap);
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        f.request('hold', { orderId: `g${i}`, promotionId: 'greedy', shopperId: 'greedy', lines: [{ sku: 'A', quantity: 1 }] }),
      ),
    );
    expect(replies.filter((r) => r.ok).length).toBe(2);
    expect(replies.filter((r) => !r.ok).every((r) => r.outcome === 'LIMIT_EXCEEDED')).toBe(true);
    expect(await stockOf('greedy', 'A')).toMatchObject({ available: 98, held: 2 });
  });

  it('answers bad payloads with INVALID and leaves stock untouched', async () => {
    const snap = f.snapshot({ promotionId: 'bad', products: [{ sku: 'A', name: 'A', priceCents: 100, stock: 5, perShopperLimit: 5 }] });
    await f.apply(snap);
    const bad: unknown[] = [
      'not json',
      {},
      { orderId: 'x', promotionId: 'bad', shopperId: 's', lines: [] },
      { orderId: 'x', promotionId: 'bad', shopperId: 's', lines: [{ sku: 'A', quantity: 0 }] },
      { orderId: 'x', promotionId: 'bad', shopperId: 's', lines: [{ sku: 'A', quantity: -3 }] },
      { orderId: 'x', promotionId: 'bad', shopperId: 's', lines: [{ sku: 'A', quantity: 1.5 }] },
      { orderId: 'x', promotionId: 'bad.*', shopperId: 's', lines: [{ sku: 'A', quantity: 1 }] },
      { orderId: 'x', promotionId: 'bad}', shopperId: 's', lines: [{ sku: 'A', quantity: 1 }] },
    ];
    for (const body of bad) {
      const r = await f.request('hold', body);
      expect(r).toMatchObject({ ok: false, outcome: 'INVALID' });
      expect(typeof r.message).toBe('string');
    }
    for (const verb of ['prepare', 'confirm', 'release', 'stock'] as const) {
      expect(await f.request(verb, { holdId: 42 })).toMatchObject({ ok: false, outcome: 'INVALID' });
    }
    expect(await stockOf('bad', 'A')).toMatchObject({ available: 5, held: 0, confirmed: 0 });
  });

  it('answers a batch of holds one by one: never more than the stock, bad items alone refused, bad batches refused whole', async () => {
    const snap = f.snapshot({
      promotionId: 'batched',
      products: [{ sku: 'HOT', name: 'Hot', priceCents: 700, stock: 25, perShopperLimit: 1 }],
    });
    await f.apply(snap);
    const hold = (i: number) => ({ orderId: `b${i}`, promotionId: 'batched', shopperId: `s${i}`, lines: [{ sku: 'HOT', quantity: 1 }] });
    // 400 buyers in 8 concurrent batches of 50, with a bad item and a repeated order id in the first.
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (_, i) => hold(b * 50 + i)) as unknown[]);
    batches[0]![1] = { orderId: 'x', promotionId: 'batched', shopperId: 's', lines: [{ sku: 'HOT', quantity: 0 }] };
    batches[0]![2] = hold(0);
    const answers = await Promise.all(batches.map((holds) => f.request('holds', { holds })));
    const replies = answers.flatMap((a) => {
      expect(a.ok).toBe(true);
      return a.replies;
    });
    expect(replies).toHaveLength(400);
    expect(replies[1]).toMatchObject({ ok: false, outcome: 'INVALID' });
    // The same order id twice in one batch holds once: the second answer describes the first hold.
    if (replies[0].ok) expect(replies[2]).toMatchObject({ ok: true, holdId: replies[0].holdId, replayed: true });
    else expect(replies[2]).toMatchObject({ ok: false, outcome: 'SOLD_OUT' });
    const held = new Set(replies.filter((r: { ok: boolean }) => r.ok).map((r: { holdId: string }) => r.holdId));
    expect(held.size).toBe(25);
    expect(
      replies
        .filter((r: { ok: boolean; outcome?: string }) => !r.ok && r.outcome !== 'INVALID')
        .every((r: { outcome: string }) => r.outcome === 'SOLD_OUT'),
    ).toBe(true);
    expect(await stockOf('batched', 'HOT')).toMatchObject({ available: 0, held: 25 });

    for (const bad of ['not json', {}, { holds: [] }, { holds: 'x' }, { holds: Array.from({ length: 257 }, (_, i) => hold(1000 + i)) }]) {
      expect(await f.request('holds', bad)).toMatchObject({ ok: false, outcome: 'INVALID' });
    }
    expect(await stockOf('batched', 'HOT')).toMatchObject({ available: 0, held: 25 });
  });

  it('serves the stock over HTTP for the checkout page', async () => {
    const { buildApp } = await import('../../app.js');
    const app = buildApp({ ...f.inv, inventory: f.inv });
    const res = await app.request('/promotions/bad/stock');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ promotionId: 'bad', products: [{ sku: 'A', available: 5 }] });
    expect((await app.request('/promotions/missing/stock')).status).toBe(404);
    expect((await app.request('/promotions/bad%20id/stock')).status).toBe(400);
  });
});
