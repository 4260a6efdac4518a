import { waitFor } from '@flashgate/shared/testing';
import { countOrders } from '../adapters/db/order.repository.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '@flashgate/shared/metrics';
import { createInventory, startInventory } from '../inventory.js';
import { type Fixture, startFixture } from '../test-support.js';

/** Holds live 1 s here; the reaper runs every 200 ms (the default). */
describe('hold expiry', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ HOLD_TTL_SECONDS: '1', PAYMENT_WINDOW_SECONDS: '3' });
    await f.apply(f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 2, perShopperLimit: 2 }] }));
  });
  afterAll(async () => {
    await f?.close();
  });

  const promotionId = () => f.snapshot().promotionId;
  const hold = (orderId: string, shopperId: string, quantity = 2) =>
    f.request('hold', { orderId, promotionId: promotionId(), shopperId, lines: [{ sku: 'HOT', quantity }] });
  const available = async () => (await f.request('stock', { promotionId: promotionId() })).products[0].available as number;

  it('gives an expired hold’s stock back within about a second, and it can be bought again', async () => {
    const first = await hold('e1', 'ann');
    expect(first.ok).toBe(true);
    expect((await hold('e2', 'ben')).outcome).toBe('SOLD_OUT');
    const expiresAt = Date.parse(first.expiresAt);
    await waitFor(async () => (await available()) === 2, { timeoutMs: 3_000, intervalMs: 20, what: 'stock back' });
    // "Within a second" of expiry (margin for a loaded test machine).
    expect(Date.now() - expiresAt).toBeLessThan(1_500);
    const second = await hold('e3', 'ben');
    expect(second.ok).toBe(true);
    // The first shopper's count went back too: ann may buy again up to her limit.
    await waitFor(async () => (await available()) === 2, { timeoutMs: 3_000, what: 'second hold expired' });
    expect((await hold('e4', 'ann')).ok).toBe(true);
    await waitFor(async () => (await available()) === 2, { timeoutMs: 3_000, what: 'third hold expired' });
  });

  it('answers HOLD_EXPIRED to a confirm after expiry, and the stock stays returned', async () => {
    const h = await hold('x1', 'cat');
    await waitFor(async () => (await available()) === 2, { timeoutMs: 3_000, what: 'expiry' });
    const c = await f.request('confirm', { holdId: h.holdId, promotionId: promotionId(), orderId: 'x1', paymentReference: 'p' });
    expect(c).toMatchObject({ ok: false, outcome: 'HOLD_EXPIRED' });
    expect(await f.request('prepare', { holdId: h.holdId, promotionId: promotionId(), orderId: 'x1' })).toMatchObject({
      ok: false,
      outcome: 'HOLD_EXPIRED',
    });
    expect(await available()).toBe(2);
  });

  it('never expires a confirmed hold', async () => {
    const h = await hold('c1', 'dan');
    const c = await f.request('confirm', { holdId: h.holdId, promotionId: promotionId(), orderId: 'c1', paymentReference: 'p' });
    expect(c.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1_600));
    const s = (await f.request('stock', { promotionId: promotionId() })).products[0];
    expect(s).toMatchObject({ available: 0, held: 0, confirmed: 2 });
    expect(await f.request('release', { holdId: h.holdId, promotionId: promotionId(), reason: 'expired' })).toMatchObject({
      ok: false,
      outcome: 'HOLD_CONFIRMED',
    });
  });
});

describe('confirm racing expiry', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ HOLD_TTL_SECONDS: '1', REAPER_INTERVAL_MS: '10' });
    await f.apply(f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 40, perShopperLimit: 1 }] }));
  });
  afterAll(async () => {
    await f?.close();
  });

  it('returns each expired hold’s stock exactly once with several nodes reaping', async () => {
    const second = createInventory({ ...f.inv, metrics: createMetrics('second', { defaultMetrics: false }) });
    const running = await startInventory(second, { ordersConsumer: false });
    try {
      const promotionId = f.snapshot().promotionId;
      const holds = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          f.request('hold', { orderId: `n${i}`, promotionId, shopperId: `n${i}`, lines: [{ sku: 'HOT', quantity: 1 }] }),
        ),
      );
      expect(holds.every((h) => h.ok)).toBe(true);
      await waitFor(async () => (await f.request('stock', { promotionId })).products[0].held === 0, { what: 'all reaped' });
      await new Promise((r) => setTimeout(r, 300)); // a few more reaper rounds on both nodes
      expect((await f.request('stock', { promotionId })).products[0]).toMatchObject({ available: 40, held: 0, confirmed: 0 });
    } finally {
      await running.stop();
    }
  });

  it('ends every hold confirmed or expired, never both', async () => {
    const promotionId = f.snapshot().promotionId;
    const holds = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        f.request('hold', { orderId: `r${i}`, promotionId, shopperId: `s${i}`, lines: [{ sku: 'HOT', quantity: 1 }] }),
      ),
    );
    expect(holds.every((h) => h.ok)).toBe(true);
    // Confirms spread across the expiry instant, while the reaper runs every 10 ms.
    const confirms = await Promise.all(
      holds.map(async (h, i) => {
        await new Promise((r) => setTimeout(r, 900 + (i % 20) * 10));
        return f.request('confirm', { holdId: h.holdId, promotionId, orderId: `r${i}`, paymentReference: 'p' });
      }),
    );
    const confirmed = confirms.filter((c) => c.ok).length;
    const expired = confirms.filter((c) => c.outcome === 'HOLD_EXPIRED').length;
    expect(confirmed + expired).toBe(40);
    await waitFor(async () => (await f.request('stock', { promotionId })).products[0].held === 0, { what: 'all reaped' });
    const s = (await f.request('stock', { promotionId })).products[0];
    expect(s.confirmed).toBe(confirmed);
    expect(s.available).toBe(40 - confirmed);
    await waitFor(async () => (await countOrders(f.inv.db, promotionId)) === confirmed, { what: 'confirmed orders in Postgres' });
  });
});

describe('prepare', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ HOLD_TTL_SECONDS: '1', PAYMENT_WINDOW_SECONDS: '3' });
    await f.apply(f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 5, perShopperLimit: 5 }] }));
  });
  afterAll(async () => {
    await f?.close();
  });

  it('extends a hold by the payment window so it cannot expire mid-payment, then confirms', async () => {
    const promotionId = f.snapshot().promotionId;
    const h = await f.request('hold', { orderId: 'p1', promotionId, shopperId: 'eve', lines: [{ sku: 'HOT', quantity: 1 }] });
    const p = await f.request('prepare', { holdId: h.holdId, promotionId, orderId: 'p1' });
    expect(p.ok).toBe(true);
    expect(Date.parse(p.expiresAt) - Date.parse(h.expiresAt)).toBeGreaterThan(1_000);
    await new Promise((r) => setTimeout(r, 1_500)); // past the original expiry
    const c = await f.request('confirm', { holdId: h.holdId, promotionId, orderId: 'p1', paymentReference: 'card-1' });
    expect(c.ok).toBe(true);
    expect(await f.request('prepare', { holdId: h.holdId, promotionId, orderId: 'p1' })).toMatchObject({
      ok: false,
      outcome: 'HOLD_CONFIRMED',
    });
    expect(await f.request('prepare', { holdId: h.holdId, promotionId, orderId: 'other' })).toMatchObject({
      ok: false,
      outcome: 'HOLD_NOT_FOUND',
    });
  });
});
