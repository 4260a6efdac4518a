import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedis } from '@flashgate/infra/servers';
import { waitFor } from '@flashgate/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOrders } from '../adapters/db/order.repository.js';
import { buildApp } from '../app.js';
import { type Fixture, startFixture } from '../test-support.js';

/** A private Redis (killed here), so the shared one is never touched. */
describe('Redis down, then back empty', () => {
  let dir: string;
  let server: RedisServer;
  let f: Fixture;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-inv-redis-'));
    server = await startRedis({ dir });
    f = await startFixture({ REDIS_URL: server.url });
    await f.apply(f.snapshot({ products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 6, perShopperLimit: 2 }] }));
  });
  afterAll(async () => {
    await f?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers UNAVAILABLE while Redis is down, and restores stock from Postgres when it returns empty, without overselling', async () => {
    const promotionId = f.snapshot().promotionId;
    const buy = async (i: number) => {
      const h = await f.request('hold', { orderId: `o${i}`, promotionId, shopperId: `s${i}`, lines: [{ sku: 'HOT', quantity: 2 }] });
      if (!h.ok) return h;
      return f.request('confirm', { holdId: h.holdId, promotionId, orderId: `o${i}`, paymentReference: 'p' });
    };
    expect((await buy(1)).ok).toBe(true);
    expect((await buy(2)).ok).toBe(true);
    await waitFor(async () => (await countOrders(f.inv.db, promotionId)) === 2, { what: 'persisted' });

    await server.kill();
    const down = await f.request('hold', { orderId: 'x', promotionId, shopperId: 'x', lines: [{ sku: 'HOT', quantity: 1 }] });
    expect(down).toMatchObject({ ok: false, outcome: 'UNAVAILABLE' });
    const app = buildApp({ ...f.inv, inventory: f.inv });
    const stockDown = await app.request(`/promotions/${promotionId}/stock`);
    expect(stockDown.status).toBe(503);
    expect(((await stockDown.json()) as any).error.code).toBe('DEPENDENCY_UNAVAILABLE');

    server = await startRedis({ dir, port: server.port }); // empty: no persistence
    // The service notices on reconnect and rebuilds from Postgres by itself…
    await waitFor(async () => (await f.request('stock', { promotionId })).ok, { timeoutMs: 10_000, what: 'restored' });
    expect((await f.request('stock', { promotionId })).products[0]).toMatchObject({ available: 2, held: 0, confirmed: 4 });
    // …and an operator can rebuild on demand (idempotent).
    const res = await app.request('/admin/rebuild', { method: 'POST', headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    expect(res.status).toBe(200);
    expect((await f.request('stock', { promotionId })).products[0]).toMatchObject({ available: 2, held: 0, confirmed: 4 });
    // Shopper 1 already bought their limit (from Postgres); 2 units are left for everyone else.
    expect(
      (await f.request('hold', { orderId: 'again', promotionId, shopperId: 's1', lines: [{ sku: 'HOT', quantity: 1 }] })).outcome,
    ).toBe('LIMIT_EXCEEDED');
    const last = await Promise.all([3, 4].map((i) => buy(i)));
    expect(last.filter((r) => r.ok).length).toBe(1);
    await waitFor(async () => (await countOrders(f.inv.db, promotionId)) === 3, { what: 'third order persisted' });
  });
});
