import type { Redis } from 'ioredis';
import { createDb, createRedis } from '@flashgate/shared/clients';
import { waitFor } from '@flashgate/shared/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { sharedProvider } from '../testing/counting-payment.js';
import { client, type Gateway, startGateway, type TestClient } from '../testing/gateway-fixture.js';
import { crashingPayment, type GatewayProcess, gatewayProcess } from '../testing/gateway-process.js';
import { type RealInventory, startRealInventory } from '../testing/real-inventory.js';

/**
 * A gateway dies between the provider charging and the reference being written, with the REAL
 * inventory-reservations behind it: the order ends confirmed with that one charge and one Postgres
 * row, or — its hold gone — refunded with none.
 */
let inventory: RealInventory;
let gw: Gateway;
let api: TestClient;
let promotionId: string;
const pay = sharedProvider();
const processes: GatewayProcess[] = [];
const cut: Redis[] = [];

const { chargesMade, refundsMade } = pay;

beforeAll(async () => {
  inventory = await startRealInventory();
  const snap = inventory.snapshot({ products: [{ sku: 'WARM', name: 'Warm item', priceCents: 500, stock: 100, perShopperLimit: 3 }] });
  promotionId = snap.promotionId;
  expect(await inventory.apply(snap)).toBe('applied');
  gw = await startGateway({
    inventory: false,
    payment: pay.instance(),
    env: { NATS_SUBJECT_PREFIX: inventory.inv.config.NATS_SUBJECT_PREFIX, CONFIRM_LOCK_SECONDS: '1' },
  });
  api = client(gw);
});
afterEach(() => {
  for (const p of processes.splice(0)) p.stop();
  for (const r of cut.splice(0)) r.disconnect();
});
afterAll(async () => {
  await gw?.close();
  await inventory?.close();
  await pay.close();
});

async function placeAndCrashAfterCharge() {
  const token = await gw.issuer.token({ promotion_id: promotionId });
  const placed = await api.place(token, { promotionId, lines: [{ sku: 'WARM', quantity: 1 }] });
  expect(placed.status).toBe(201);
  const redis = createRedis(gw.config.REDIS_URL, { name: 'dying-gateway' });
  cut.push(redis);
  const payment = pay.instance();
  const dying = gatewayProcess(gw, { payment: crashingPayment(payment, 'after-charge', () => redis.disconnect()), redis });
  expect((await dying.api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve })).status).toBe(503);
  const charged = [...payment.references];
  expect(charged).toHaveLength(1);
  return { token, orderId: placed.body.orderId as string, ref: charged[0]! };
}

async function orderRows(orderId: string) {
  const db = createDb<any>(inventory.inv.config.DATABASE_URL, { searchPath: 'inventory', max: 1 });
  try {
    return await db.selectFrom('orders').select('payment_reference').where('order_id', '=', orderId).execute();
  } finally {
    await db.destroy();
  }
}

const available = async () => {
  const res = await api.call('GET', `/promotions/${promotionId}/stock`);
  return res.body.products.find((p: { sku: string }) => p.sku === 'WARM').available as number;
};

describe('a gateway crash between the charge and recording it, with the real inventory', () => {
  it('two sweeping processes confirm it: one charge, one Postgres order row with that charge', async () => {
    const before = chargesMade();
    const { token, orderId, ref } = await placeAndCrashAfterCharge();
    for (let i = 0; i < 2; i++) processes.push(gatewayProcess(gw, { payment: pay.instance(), sweepEveryMs: 50 }));
    gw.clock.advance(1_100);

    await waitFor(async () => (await api.get(token, orderId)).body.status === 'confirmed', { timeoutMs: 8_000 });
    expect((await api.get(token, orderId)).body.paymentReference).toBe(ref);
    const rows = await waitFor(async () => {
      const r = await orderRows(orderId);
      return r.length > 0 && r;
    });
    await new Promise((r) => setTimeout(r, 500)); // a second write, were there one, lands by now
    expect(await orderRows(orderId)).toEqual(rows);
    expect(rows).toEqual([{ payment_reference: ref }]);
    expect(chargesMade() - before).toBe(1);
  });

  it('its hold over, the shopper’s retry refunds it once and the stock goes back: no order row', async () => {
    const stockBefore = await waitFor(available);
    const before = chargesMade();
    const { token, orderId, ref } = await placeAndCrashAfterCharge();
    const order = (await api.get(token, orderId)).body;
    gw.clock.advance(Date.parse(order.holdExpiresAt) - gw.clock.now() + 1_000);

    const res = await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('HOLD_EXPIRED');
    expect((await api.get(token, orderId)).body).toMatchObject({ status: 'expired', refunded: true, paymentReference: ref });
    expect(refundsMade(ref)).toBe(1);
    expect(chargesMade() - before).toBe(1);
    await waitFor(async () => (await available()) === stockBefore, { timeoutMs: 3_000, intervalMs: 200 });
    expect(await orderRows(orderId)).toEqual([]);
  });
});
