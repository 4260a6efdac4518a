import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@flashgate/shared/clients';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { gatewayKeys } from '../adapters/redis/keys.js';
import { OrderStore } from '../adapters/redis/order.store.js';
import { CountingPaymentProvider } from '../testing/counting-payment.js';
import { client, type Gateway, startGateway, type TestClient } from '../testing/gateway-fixture.js';
import { type GatewayProcess, gatewayProcess } from '../testing/gateway-process.js';
import { type RealInventory, startRealInventory } from '../testing/real-inventory.js';

/** End to end with the REAL inventory-reservations service (see startRealInventory). */
let inventory: RealInventory;
let gw: Gateway;
let api: TestClient;
let promotionId: string;
const payment = new CountingPaymentProvider();
let replica: GatewayProcess;

beforeAll(async () => {
  inventory = await startRealInventory();
  const snap = inventory.snapshot({
    products: [
      { sku: 'HOT', name: 'Hot item', priceCents: 1999, stock: 10, perShopperLimit: 2 },
      { sku: 'WARM', name: 'Warm item', priceCents: 500, stock: 100, perShopperLimit: 3 },
    ],
  });
  promotionId = snap.promotionId;
  expect(await inventory.apply(snap)).toBe('applied');
  gw = await startGateway({
    inventory: false,
    payment,
    env: { NATS_SUBJECT_PREFIX: inventory.inv.config.NATS_SUBJECT_PREFIX, CONFIRM_RECOVERY_INTERVAL_MS: '100', CONFIRM_LOCK_SECONDS: '1' },
  });
  api = client(gw);
  // A second gateway process on the same Redis and NATS, running its own recovery sweeper.
  replica = gatewayProcess(gw, { payment, sweepEveryMs: 100 });
});
afterAll(async () => {
  replica?.stop();
  await gw?.close();
  await inventory?.close();
});

const stockOf = async (sku: string) => {
  const res = await api.call('GET', `/promotions/${promotionId}/stock`);
  expect(res.status).toBe(200);
  return res.body.products.find((p: { sku: string }) => p.sku === sku);
};
const token = (claims: Record<string, unknown> = {}) => gw.issuer.token({ promotion_id: promotionId, ...claims });
const body = (lines: { sku: string; quantity: number }[]) => ({ promotionId, lines });

describe('order-gateway with the real inventory-reservations', () => {
  it('places, confirms and shows the stock move', async () => {
    const t = await token();
    const placed = await api.place(t, body([{ sku: 'WARM', quantity: 2 }]));
    expect(placed.status).toBe(201);
    expect(placed.body.amountCents).toBe(1000);
    const confirmed = await api.confirm(t, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('confirmed');
    await new Promise((r) => setTimeout(r, 600)); // the stock figures are a short-lived cache
    const warm = await stockOf('WARM');
    expect(warm.available).toBe(98);
  });

  it('a declined payment gives the stock back', async () => {
    const t = await token();
    const placed = await api.place(t, body([{ sku: 'WARM', quantity: 1 }]));
    const declined = await api.confirm(t, placed.body.orderId, { paymentMethod: SIM_CARDS.decline });
    expect(declined.status).toBe(402);
    await new Promise((r) => setTimeout(r, 600));
    expect((await stockOf('WARM')).available).toBe(98);
  });

  it('never oversells: 30 shoppers race for 10 units', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, async () => api.place(await token(), body([{ sku: 'HOT', quantity: 1 }]))),
    );
    const created = answers.filter((r) => r.status === 201);
    const soldOut = answers.filter((r) => r.status === 409);
    expect(created.length).toBe(10);
    expect(soldOut.length).toBe(20);
    expect(soldOut.every((r) => r.body.error.code === 'SOLD_OUT' && r.body.error.details.sku === 'HOT')).toBe(true);
  });

  it('holds once under 20 concurrent retries of one Idempotency-Key', async () => {
    const t = await token();
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.place(t, body([{ sku: 'WARM', quantity: 1 }]), 'storm')));
    const ids = new Set(answers.filter((r) => r.status === 201).map((r) => r.body.holdId));
    expect(ids.size).toBe(1);
    expect(answers.every((r) => r.status === 201 || r.body.error.code === 'REQUEST_IN_PROGRESS')).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect((await stockOf('WARM')).held).toBe(1);
  });

  it('enforces the per-shopper limit across orders, and cancel frees it', async () => {
    const sub = 'limited';
    const t1 = await token({ sub });
    const first = await api.place(t1, body([{ sku: 'WARM', quantity: 3 }]));
    expect(first.status).toBe(201);
    const t2 = await token({ sub });
    const over = await api.place(t2, body([{ sku: 'WARM', quantity: 1 }]));
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('LIMIT_EXCEEDED');
    expect((await api.cancel(t1, first.body.orderId)).status).toBe(200);
    expect((await api.place(t2, body([{ sku: 'WARM', quantity: 1 }]))).status).toBe(201);
  });

  it('a confirm that crashed after the charge ends confirmed by itself: one charge, one Postgres order row', async () => {
    const t = await token();
    const placed = await api.place(t, body([{ sku: 'WARM', quantity: 1 }]));
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.orderId;
    // What a gateway leaves when it dies after charging, before inventory's confirm answers.
    const store = new OrderStore(gw.redis, gatewayKeys(gw.config.REDIS_KEY_PREFIX));
    const now = gw.clock.now();
    const locked = await store.transition((await store.get(promotionId, orderId))!, {
      to: 'confirming',
      ttlMs: 600_000,
      binding: 'keep',
      nowMs: now,
      fields: { confirmingSince: now },
    });
    expect(locked.kind).toBe('ok');
    const prepared = await inventory.request('prepare', { holdId: placed.body.holdId, promotionId, orderId });
    expect(prepared.ok).toBe(true);
    const charge = await payment.charge({ idempotencyKey: orderId, amountCents: 500, shopperId: 'x', paymentMethod: SIM_CARDS.approve });
    if (!charge.ok) throw new Error('the simulated charge was declined');
    const recorded = await store.transition((await store.get(promotionId, orderId))!, {
      to: 'confirming',
      ttlMs: 600_000,
      binding: 'keep',
      nowMs: gw.clock.now(),
      fields: { prepared: '1', paymentReference: charge.paymentReference },
    });
    expect(recorded.kind).toBe('ok');

    let status = '';
    for (const until = Date.now() + 8_000; Date.now() < until && status !== 'confirmed'; ) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await api.get(t, orderId)).body.status;
    }
    expect(status).toBe('confirmed');
    expect(payment.charged.get(orderId)).toBe(1);

    const db = createDb<any>(inventory.inv.config.DATABASE_URL, { searchPath: 'inventory', max: 1 });
    try {
      let rows: { payment_reference: string }[] = [];
      for (const until = Date.now() + 5_000; Date.now() < until && rows.length === 0; ) {
        rows = await db.selectFrom('orders').select('payment_reference').where('order_id', '=', orderId).execute();
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500)); // any second write would land by now
      rows = await db.selectFrom('orders').select('payment_reference').where('order_id', '=', orderId).execute();
      expect(rows).toEqual([{ payment_reference: charge.paymentReference }]);
    } finally {
      await db.destroy();
    }
  });
});
