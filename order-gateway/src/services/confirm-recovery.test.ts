import type { ServiceMetrics } from '@flashgate/shared/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { gatewayKeys } from '../adapters/redis/keys.js';
import { OrderStore } from '../adapters/redis/order.store.js';
import { CountingPaymentProvider } from '../testing/counting-payment.js';
import { client, type Gateway, order, PROMO, startGateway, type TestClient } from '../testing/gateway-fixture.js';
import { type GatewayProcess, gatewayProcess } from '../testing/gateway-process.js';

const INTERVAL = '100';
let gw: Gateway;
let api: TestClient;
let store: OrderStore;
const payment = new CountingPaymentProvider();
let replica: GatewayProcess;

beforeAll(async () => {
  const env = { CONFIRM_RECOVERY_INTERVAL_MS: INTERVAL, CONFIRM_LOCK_SECONDS: '1' };
  gw = await startGateway({ env, payment });
  api = client(gw);
  store = new OrderStore(gw.redis, gatewayKeys(gw.config.REDIS_KEY_PREFIX));
  // A second gateway process on the same Redis, NATS and payment provider, sweeping at the same time.
  replica = gatewayProcess(gw, { payment, sweepEveryMs: Number(INTERVAL) });
});
afterAll(async () => {
  replica?.stop();
  await gw?.close();
});

/** What a gateway that died after the charge, before inventory's confirm answered, leaves behind. */
async function crashAfterCharge(orderId: string): Promise<string> {
  let stored = (await store.get(PROMO, orderId))!;
  const lock = await store.transition(stored, {
    to: 'confirming',
    ttlMs: 600_000,
    binding: 'keep',
    nowMs: gw.clock.now(),
    fields: { confirmingSince: gw.clock.now(), prepared: '1' },
  });
  expect(lock.kind).toBe('ok');
  const charge = await payment.charge({
    idempotencyKey: orderId,
    amountCents: stored.amountCents,
    shopperId: stored.shopperId,
    paymentMethod: SIM_CARDS.approve,
  });
  if (!charge.ok) throw new Error('the simulated charge was declined');
  stored = (await store.get(PROMO, orderId))!;
  const recorded = await store.transition(stored, {
    to: 'confirming',
    ttlMs: 600_000,
    binding: 'keep',
    nowMs: gw.clock.now(),
    fields: { paymentReference: charge.paymentReference },
  });
  expect(recorded.kind).toBe('ok');
  return charge.paymentReference;
}

async function waitForStatus(token: string, orderId: string, status: string, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await api.get(token, orderId);
    if (got.body.status === status || Date.now() > until) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const recoveries = async (m: ServiceMetrics, outcome: string) => {
  const metric = await m.registry.getSingleMetric('gateway_confirm_recoveries_total')?.get();
  return metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
};
const indexed = () => gw.redis.zrange(gatewayKeys(gw.config.REDIS_KEY_PREFIX).confirming(), 0, -1);

describe('confirm recovery sweeper', () => {
  it('finishes a confirm interrupted after the charge on its own, once, with two gateways sweeping', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    const ref = await crashAfterCharge(placed.body.orderId);
    const confirmsBefore = gw.inventory!.requests.confirm;
    expect((await api.get(token, placed.body.orderId)).body.status).toBe('confirming');
    expect(await indexed()).toContain(`${PROMO}\n${placed.body.orderId}`);

    const got = await waitForStatus(token, placed.body.orderId, 'confirmed');
    expect(got.body).toMatchObject({ status: 'confirmed', paymentReference: ref });
    await new Promise((r) => setTimeout(r, 5 * Number(INTERVAL))); // let both sweepers run a few more times
    expect(payment.charged.get(placed.body.orderId)).toBe(1);
    expect(gw.inventory!.requests.confirm - confirmsBefore).toBe(1);
    expect((await recoveries(gw.metrics, 'confirmed')) + (await recoveries(replica.metrics, 'confirmed'))).toBe(1);
    expect(await indexed()).not.toContain(`${PROMO}\n${placed.body.orderId}`);
    expect((await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve })).status).toBe(200);
  });

  it('refunds and expires a charged confirm whose hold inventory no longer has', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    gw.inventory!.behaviour.confirmOutcome = 'HOLD_EXPIRED';
    try {
      const ref = await crashAfterCharge(placed.body.orderId);
      const got = await waitForStatus(token, placed.body.orderId, 'expired');
      expect(got.body).toMatchObject({ status: 'expired', refunded: true });
      expect(payment.refunds.has(ref)).toBe(true);
      expect(payment.charged.get(placed.body.orderId)).toBe(1);
    } finally {
      gw.inventory!.behaviour.confirmOutcome = undefined;
    }
  });

  it('leaves a live confirm alone, and a shopper-completed confirm leaves no index entry', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    const stored = (await store.get(PROMO, placed.body.orderId))!;
    // A lock taken "now + 1 h": still held by its (live) owner whenever the sweepers look.
    const t = await store.transition(stored, {
      to: 'confirming',
      ttlMs: 600_000,
      binding: 'keep',
      nowMs: gw.clock.now(),
      fields: { confirmingSince: gw.clock.now() + 3_600_000, paymentReference: 'sim_live' },
    });
    expect(t.kind).toBe('ok');
    await new Promise((r) => setTimeout(r, 5 * Number(INTERVAL)));
    expect((await api.get(token, placed.body.orderId)).body.status).toBe('confirming');

    const other = await api.place(await gw.issuer.token({ sub: 'direct' }), order([{ sku: 'SKU-A', quantity: 1 }]));
    const res = await api.confirm(await gw.issuer.token({ sub: 'direct' }), other.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(200);
    expect(await indexed()).not.toContain(`${PROMO}\n${other.body.orderId}`);
  });

  it('moves an order whose recovery fails to the back of the line, so failing orders cannot starve the others', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    const member = `${PROMO}\n${placed.body.orderId}`;
    const key = gatewayKeys(gw.config.REDIS_KEY_PREFIX).confirming();
    gw.inventory!.behaviour.confirmOutcome = 'UNAVAILABLE';
    try {
      await crashAfterCharge(placed.body.orderId);
      const indexedAt = Number(await gw.redis.zscore(key, member));
      await new Promise((r) => setTimeout(r, 1_000 + 5 * Number(INTERVAL)));
      expect((await recoveries(gw.metrics, 'failed')) + (await recoveries(replica.metrics, 'failed'))).toBeGreaterThan(0);
      expect((await api.get(token, placed.body.orderId)).body.status).toBe('confirming');
      // The attempt's lock re-indexed it at that time: it comes back after another lock period, behind older entries.
      expect(Number(await gw.redis.zscore(key, member))).toBeGreaterThan(indexedAt + 500);
    } finally {
      gw.inventory!.behaviour.confirmOutcome = undefined;
    }
    const got = await waitForStatus(token, placed.body.orderId, 'confirmed', 8_000);
    expect(got.body.status).toBe('confirmed');
    expect(payment.charged.get(placed.body.orderId)).toBe(1);
  });
});
