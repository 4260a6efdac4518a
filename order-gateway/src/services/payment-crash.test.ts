import type { Redis } from 'ioredis';
import { createRedis } from '@flashgate/shared/clients';
import type { ServiceMetrics } from '@flashgate/shared/metrics';
import type { PaymentProvider } from '../domain/payment-provider.js';
import { waitFor } from '@flashgate/shared/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { gatewayKeys } from '../adapters/redis/keys.js';
import { OrderStore } from '../adapters/redis/order.store.js';
import { sharedProvider } from '../testing/counting-payment.js';
import { client, type Gateway, order, PROMO, startGateway, type TestClient } from '../testing/gateway-fixture.js';
import { crashingPayment, type GatewayProcess, gatewayProcess, type PaymentCrash } from '../testing/gateway-process.js';

/**
 * The gap between "the provider charged" and "the gateway wrote the reference down". Each gateway
 * process has its own provider instance; they share only the provider's own records (the Redis
 * ledger), so a charge is found again only the way a real provider would let it be: by its key.
 */
let gw: Gateway;
let api: TestClient;
let store: OrderStore;
const pay = sharedProvider();
const { ledger, chargesMade, refundsMade } = pay;
const processes: GatewayProcess[] = [];
const cut: Redis[] = [];

const provider = pay.instance;
/** `n` more gateway processes sweeping every 50 ms, each with its own provider instance. */
const sweepers = (n: number) =>
  Array.from({ length: n }, () => {
    const payment = provider();
    const p = gatewayProcess(gw, { payment, sweepEveryMs: 50 });
    processes.push(p);
    return { metrics: p.metrics, payment };
  });
const recoveries = async (ms: ServiceMetrics[], outcome: string) => {
  let sum = 0;
  for (const m of ms) {
    const metric = await m.registry.getSingleMetric('gateway_confirm_recoveries_total')?.get();
    sum += metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  }
  return sum;
};

beforeAll(async () => {
  gw = await startGateway({ env: { CONFIRM_LOCK_SECONDS: '1' }, payment: provider() });
  api = client(gw);
  store = new OrderStore(gw.redis, gatewayKeys(gw.config.REDIS_KEY_PREFIX));
});
afterEach(() => {
  for (const p of processes.splice(0)) p.stop();
  for (const r of cut.splice(0)) r.disconnect();
});
afterAll(async () => {
  await gw?.close();
  await pay.close();
});

/** Places an order and runs its confirm on a gateway process that fails `at`; returns what it left. */
async function confirmThatCrashes(at: PaymentCrash, paymentMethod: string = SIM_CARDS.approve) {
  const token = await gw.issuer.token();
  const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
  expect(placed.status).toBe(201);
  const orderId: string = placed.body.orderId;
  const redis = createRedis(gw.config.REDIS_URL, { name: 'dying-gateway' });
  cut.push(redis);
  const dying = gatewayProcess(gw, { payment: crashingPayment(provider(), at, () => redis.disconnect()), redis });
  const res = await dying.api.confirm(token, orderId, { paymentMethod });
  expect(res.status).toBe(503);
  const left = (await store.get(PROMO, orderId))!;
  expect(left).toMatchObject({ status: 'confirming', paymentKey: orderId });
  expect(left.paymentReference).toBeUndefined();
  const charge = await ledger.getCharge(orderId);
  return { token, orderId, left, charge };
}

const statusOf = async (token: string, orderId: string) => (await api.get(token, orderId)).body;

describe('a confirm that stops between the charge and recording it', () => {
  it('the shopper’s retry finishes it with that same charge, once the dead process’s lock is stale', async () => {
    const before = chargesMade();
    const { token, orderId, charge } = await confirmThatCrashes('after-charge');
    expect(charge?.ok).toBe(true);
    expect((await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve })).body.error.code).toBe('REQUEST_IN_PROGRESS');
    const prepares = gw.inventory!.requests.prepare;

    gw.clock.advance(1_100);
    const res = await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'confirmed', paymentReference: charge?.ok && charge.paymentReference });
    expect(chargesMade() - before).toBe(1);
    expect(gw.inventory!.requests.prepare).toBe(prepares); // resumed after the recorded prepare
  });

  it('with nobody coming back, two sweeping processes confirm it with that charge, never charging', async () => {
    const before = chargesMade();
    const { token, orderId, charge } = await confirmThatCrashes('after-charge');
    const confirms = gw.inventory!.requests.confirm;
    const running = sweepers(2);
    gw.clock.advance(1_100);

    const done = await waitFor(async () => {
      const o = await statusOf(token, orderId);
      return o.status === 'confirmed' && o;
    });
    expect(done.paymentReference).toBe(charge?.ok && charge.paymentReference);
    await new Promise((r) => setTimeout(r, 250)); // both sweepers look a few more times
    expect(running.map((p) => p.payment.charged.get(orderId) ?? 0)).toEqual([0, 0]); // looked up, never charged
    expect(chargesMade() - before).toBe(1);
    expect(gw.inventory!.requests.confirm - confirms).toBe(1);
    expect(
      await recoveries(
        running.map((p) => p.metrics),
        'confirmed',
      ),
    ).toBe(1);
  });

  it('a hold that ran out meanwhile is refunded exactly once, however many retry and sweep at once', async () => {
    const before = chargesMade();
    const { token, orderId, charge } = await confirmThatCrashes('after-charge');
    if (!charge?.ok) throw new Error('expected the crashed attempt to have charged');
    const running = sweepers(2);
    gw.clock.advance(gw.inventory!.behaviour.prepareWindowMs + 1_000);

    const retries = await Promise.all([1, 2, 3].map(() => api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve })));
    // Whoever expires it claims it first, so a retry racing that claim is told to retry.
    for (const r of retries) expect(['HOLD_EXPIRED', 'REQUEST_IN_PROGRESS']).toContain(r.body.error.code);
    const done = await waitFor(async () => {
      const o = await statusOf(token, orderId);
      return o.status === 'expired' && o.refunded && o;
    });
    expect((await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve })).body.error.code).toBe('HOLD_EXPIRED');
    expect(done.paymentReference).toBe(charge.paymentReference);
    await new Promise((r) => setTimeout(r, 250));
    expect(refundsMade(charge.paymentReference)).toBe(1);
    expect(await ledger.isRefunded(charge.paymentReference)).toBe(true);
    expect(chargesMade() - before).toBe(1);
    expect(
      await recoveries(
        running.map((p) => p.metrics),
        'confirmed',
      ),
    ).toBe(0);
  });

  it('a charge whose answer was lost is found by the shopper’s immediate retry', async () => {
    const before = chargesMade();
    const { token, orderId, left, charge } = await confirmThatCrashes('response-lost');
    expect(left.confirmingSince).toBeUndefined(); // this process lived: it let go of the lock
    const res = await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(200);
    expect(res.body.paymentReference).toBe(charge?.ok && charge.paymentReference);
    expect(chargesMade() - before).toBe(1);
  });

  it('a charge declined before the crash ends declined, its hold released, by the sweeper', async () => {
    const before = chargesMade();
    const { token, orderId, charge } = await confirmThatCrashes('after-charge', SIM_CARDS.decline);
    expect(charge?.ok).toBe(false);
    const releases = gw.inventory!.requests.release;
    sweepers(1);
    gw.clock.advance(1_100);
    await waitFor(async () => (await statusOf(token, orderId)).status === 'declined');
    expect(gw.inventory!.requests.release - releases).toBe(1);
    expect(chargesMade() - before).toBe(0);
  });
});

describe('a confirm that stops after recording its charge key, before the provider charged', () => {
  it('the sweeper finds no charge and leaves the order to the shopper, whose retry charges once', async () => {
    const before = chargesMade();
    const { token, orderId, charge } = await confirmThatCrashes('before-charge');
    expect(charge).toBeNull();
    const [sweeper] = sweepers(1);
    gw.clock.advance(1_100);
    await waitFor(async () => (await recoveries([sweeper!.metrics], 'waiting')) >= 1);
    expect((await statusOf(token, orderId)).status).toBe('confirming');
    expect(chargesMade() - before).toBe(0);

    const res = await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('confirmed');
    expect(chargesMade() - before).toBe(1);
  });

  it('left alone past its hold, it expires with nothing to refund', async () => {
    const before = chargesMade();
    const { token, orderId } = await confirmThatCrashes('before-charge');
    sweepers(1);
    gw.clock.advance(gw.inventory!.behaviour.prepareWindowMs + 1_000);
    const done = await waitFor(async () => {
      const o = await statusOf(token, orderId);
      return o.status === 'expired' && (await store.get(PROMO, orderId))?.status === 'expired' && o;
    });
    expect(done.refunded).toBeUndefined();
    expect(done.paymentReference).toBeUndefined();
    expect(chargesMade() - before).toBe(0);
  });
});

describe('an expiry racing a confirm at the end of the hold', () => {
  it('never refunds a charge that a confirm which read the order just before records and confirms', async () => {
    // A lost charge answer leaves the charge key without a reference. Then, at the hold's end, the
    // shopper's retry reads the order just before it (on this host) while a process on a host whose
    // clock runs ahead reads it just after: the one expires it, the other confirms it, concurrently.
    const { token, orderId, left, charge } = await confirmThatCrashes('response-lost');
    if (!charge?.ok) throw new Error('expected the lost answer to hide a charge');
    gw.clock.advance(left.holdExpiresAt - 10_000 - gw.clock.now());
    let lookingUp!: () => void;
    const atLookup = new Promise<void>((r) => {
      lookingUp = r;
    });
    let go!: () => void;
    const released = new Promise<void>((r) => {
      go = r;
    });
    const inner = provider();
    const paused: PaymentProvider = {
      name: 'paused-lookup',
      charge: (req, signal) => inner.charge(req, signal),
      async findCharge(key, signal) {
        lookingUp();
        await released;
        return inner.findCharge(key, signal);
      },
      refund: (ref, signal) => inner.refund(ref, signal),
    };
    const ahead = gatewayProcess(gw, { payment: paused, now: () => gw.clock.now() + 20_000 });
    processes.push(ahead);

    const expiring = ahead.api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve });
    await atLookup; // it read the order and is looking its charge up, to refund it
    await api.confirm(token, orderId, { paymentMethod: SIM_CARDS.approve });
    go();
    expect((await expiring).body.error.code).toBe('HOLD_EXPIRED');

    const final = (await store.get(PROMO, orderId))!;
    const refunded = await ledger.isRefunded(charge.paymentReference);
    expect([
      ['confirmed', false],
      ['expired', true],
    ]).toContainEqual([final.status, refunded]);
  });
});
