import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { gatewayKeys } from '../adapters/redis/keys.js';
import { OrderStore } from '../adapters/redis/order.store.js';
import { client, type Gateway, order, PROMO, startGateway } from '../testing/gateway-fixture.js';

let gw: Gateway;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  gw = await startGateway({ env: { JWT_CLOCK_TOLERANCE_SECONDS: '0' } });
  api = client(gw);
});
afterAll(async () => {
  await gw?.close();
});

describe('POST /orders', () => {
  it('holds every line and answers 201 with order id, hold id and hold expiry', async () => {
    const token = await gw.issuer.token();
    const before = gw.inventory!.available(PROMO, 'SKU-A');
    const res = await api.place(
      token,
      order([
        { sku: 'SKU-A', quantity: 2 },
        { sku: 'SKU-B', quantity: 1 },
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'held', promotionId: PROMO, amountCents: 2 * 1000 + 2500 });
    expect(res.body.orderId).toMatch(/^ord_/);
    expect(res.body.holdId).toBeTruthy();
    expect(Date.parse(res.body.holdExpiresAt)).toBeGreaterThan(Date.now());
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(before - 2);

    const got = await api.get(token, res.body.orderId);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ orderId: res.body.orderId, status: 'held', holdId: res.body.holdId });
  });

  it('answers 409 SOLD_OUT naming the SKU, and holds none of the other lines', async () => {
    const first = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-C', quantity: 1 }]));
    expect(first.status).toBe(201);
    const a = gw.inventory!.available(PROMO, 'SKU-A');
    const res = await api.place(
      await gw.issuer.token(),
      order([
        { sku: 'SKU-A', quantity: 1 },
        { sku: 'SKU-C', quantity: 1 },
      ]),
    );
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'SOLD_OUT', details: { sku: 'SKU-C' } });
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(a);
  });

  it('enforces the per-shopper limit across the shopper’s orders (409 LIMIT_EXCEEDED)', async () => {
    const sub = 'limit-shopper';
    const first = await api.place(await gw.issuer.token({ sub }), order([{ sku: 'SKU-A', quantity: 2 }]));
    expect(first.status).toBe(201);
    const second = await api.place(await gw.issuer.token({ sub }), order([{ sku: 'SKU-A', quantity: 1 }]));
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { sku: 'SKU-A' } });
  });

  it('rejects bad bodies with 400 and a field path, without touching stock', async () => {
    const token = await gw.issuer.token();
    const holds = gw.inventory!.requests.hold;
    const cases: [unknown, string][] = [
      [order([{ sku: 'SKU-A', quantity: 1.5 }]), 'lines.0.quantity'],
      [order([{ sku: 'SKU-A', quantity: 0 }]), 'lines.0.quantity'],
      [order([{ sku: 'SKU-A', quantity: -1 }]), 'lines.0.quantity'],
      [
        order([
          { sku: 'SKU-A', quantity: 1 },
          { sku: 'SKU-A', quantity: 1 },
        ]),
        'lines.1.sku',
      ],
      [{ ...order([{ sku: 'SKU-A', quantity: 1 }]), coupon: 'FREE' }, '(root)'],
      [order([{ sku: 'SKU-A', quantity: 1, price: 0 } as never]), 'lines.0'],
      [order([]), 'lines'],
    ];
    for (const [body, path] of cases) {
      const res = await api.place(token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    const malformed = await api.place(token, '{"promotionId":');
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    expect(gw.inventory!.requests.hold).toBe(holds);
  });

  it('requires an Idempotency-Key (400)', async () => {
    const res = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]), null);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_MISSING');
  });
});

describe('admission binding (one live order per jti)', () => {
  it('refuses a second order with the same token while the first is live, and allows one after cancel', async () => {
    const token = await gw.issuer.token();
    const first = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    expect(first.status).toBe(201);
    const second = await api.place(token, order([{ sku: 'SKU-B', quantity: 1 }]));
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'ADMISSION_ALREADY_USED', details: { orderId: first.body.orderId } });

    const cancelled = await api.cancel(token, first.body.orderId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const third = await api.place(token, order([{ sku: 'SKU-B', quantity: 1 }]));
    expect(third.status).toBe(201);
  });

  it('gives one admission at most one live order under 20 concurrent attempts with different keys', async () => {
    const token = await gw.issuer.token();
    const holds = gw.inventory!.requests.hold;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), `race-${i}`)),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409).every((r) => r.body.error.code === 'ADMISSION_ALREADY_USED')).toBe(true);
    expect(gw.inventory!.requests.hold - holds).toBe(1);
  });

  it('allows a new order once the previous hold has expired', async () => {
    const token = await gw.issuer.token();
    const first = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    gw.clock.advance(61_000);
    try {
      expect((await api.get(token, first.body.orderId)).body.status).toBe('expired');
      const again = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
      expect(again.status).toBe(201);
    } finally {
      gw.clock.advance(-61_000);
    }
  });

  it('keeps the admission used after the order is confirmed', async () => {
    const token = await gw.issuer.token();
    const first = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    expect((await api.confirm(token, first.body.orderId, { paymentMethod: SIM_CARDS.approve })).status).toBe(200);
    const again = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ADMISSION_ALREADY_USED');
  });
});

describe('confirm', () => {
  it('approves: held → confirmed, and a second confirm returns the confirmed order', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('confirmed');
    expect(res.body.paymentReference).toMatch(/^sim_/);
    const again = await api.confirm(token, placed.body.orderId);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'confirmed', paymentReference: res.body.paymentReference });
    expect(gw.inventory!.holds.get(placed.body.holdId)?.state).toBe('confirmed');
    expect((await api.get(token, placed.body.orderId)).body.status).toBe('confirmed');
  });

  it('declines: 402 PAYMENT_DECLINED, status declined, stock released, admission freed', async () => {
    const token = await gw.issuer.token();
    const before = gw.inventory!.available(PROMO, 'SKU-B');
    const placed = await api.place(token, order([{ sku: 'SKU-B', quantity: 1 }]));
    expect(gw.inventory!.available(PROMO, 'SKU-B')).toBe(before - 1);
    const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.decline });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('PAYMENT_DECLINED');
    expect((await api.get(token, placed.body.orderId)).body.status).toBe('declined');
    expect(gw.inventory!.available(PROMO, 'SKU-B')).toBe(before);
    expect((await api.place(token, order([{ sku: 'SKU-B', quantity: 1 }]))).status).toBe(201);
  });

  it('refunds and answers 409 HOLD_EXPIRED when inventory says the hold expired after the charge', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    gw.inventory!.behaviour.confirmOutcome = 'HOLD_EXPIRED';
    try {
      const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('HOLD_EXPIRED');
    } finally {
      gw.inventory!.behaviour.confirmOutcome = undefined;
    }
    const got = await api.get(token, placed.body.orderId);
    expect(got.body).toMatchObject({ status: 'expired', refunded: true });
    expect(gw.payment.refunds.has(got.body.paymentReference)).toBe(true);
  });

  it('answers 409 HOLD_EXPIRED for an order whose hold ran out before confirm, without charging', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    gw.clock.advance(61_000);
    try {
      const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('HOLD_EXPIRED');
      const got = await api.get(token, placed.body.orderId);
      expect(got.body.status).toBe('expired');
      expect(got.body.paymentReference).toBeUndefined();
    } finally {
      gw.clock.advance(-61_000);
    }
  });

  it('takes over a confirm left running by a crashed gateway once its lock is stale', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    // What a gateway that died right after starting the confirm leaves behind.
    const store = new OrderStore(gw.redis, gatewayKeys(gw.config.REDIS_KEY_PREFIX));
    const stored = (await store.get(PROMO, placed.body.orderId))!;
    const t = await store.transition(stored, {
      to: 'confirming',
      ttlMs: 600_000,
      binding: 'keep',
      nowMs: gw.clock.now(),
      fields: { confirmingSince: gw.clock.now() },
    });
    expect(t.kind).toBe('ok');
    const busy = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('REQUEST_IN_PROGRESS');
    gw.clock.advance(31_000); // past CONFIRM_LOCK_SECONDS, still within the hold
    try {
      const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('confirmed');
    } finally {
      gw.clock.advance(-31_000);
    }
  });

  it('cannot confirm a cancelled order, nor cancel a confirmed one', async () => {
    const t1 = await gw.issuer.token();
    const p1 = await api.place(t1, order([{ sku: 'SKU-A', quantity: 1 }]));
    await api.cancel(t1, p1.body.orderId);
    const c1 = await api.confirm(t1, p1.body.orderId);
    expect(c1.status).toBe(409);
    expect(c1.body.error.code).toBe('ORDER_NOT_CONFIRMABLE');

    const t2 = await gw.issuer.token();
    const p2 = await api.place(t2, order([{ sku: 'SKU-A', quantity: 1 }]));
    await api.confirm(t2, p2.body.orderId, { paymentMethod: SIM_CARDS.approve });
    const c2 = await api.cancel(t2, p2.body.orderId);
    expect(c2.status).toBe(409);
    expect(c2.body.error).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE', details: { status: 'confirmed' } });
  });
});

describe('shopper isolation', () => {
  it('answers 404 ORDER_NOT_FOUND for another shopper’s order (never 403)', async () => {
    const mine = await gw.issuer.token({ sub: 'alice' });
    const theirs = await gw.issuer.token({ sub: 'mallory' });
    const placed = await api.place(mine, order([{ sku: 'SKU-A', quantity: 1 }]));
    for (const res of [
      await api.get(theirs, placed.body.orderId),
      await api.confirm(theirs, placed.body.orderId),
      await api.cancel(theirs, placed.body.orderId),
      await api.get(mine, 'ord_doesnotexist'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ORDER_NOT_FOUND');
    }
    expect((await api.get(mine, placed.body.orderId)).body.status).toBe('held');
  });

  it('lets the token that created an order still open it after exp, until the hold is over', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3;
    const token = await gw.issuer.token({ exp, iat: exp - 60, nbf: undefined });
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    expect(placed.status).toBe(201);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 100)); // the token is now past exp
    expect((await api.place(token, order([{ sku: 'SKU-B', quantity: 1 }]))).body.error.code).toBe('AUTH_TOKEN_EXPIRED');
    const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('confirmed');
  });
});

describe('GET /promotions/:id/stock (public)', () => {
  it('shows stock per SKU without a token, and 404 for an unknown promotion', async () => {
    const res = await api.call('GET', `/promotions/${PROMO}/stock`);
    expect(res.status).toBe(200);
    expect(res.body.products.map((p: { sku: string }) => p.sku)).toEqual(['SKU-A', 'SKU-B', 'SKU-C']);
    const missing = await api.call('GET', '/promotions/nope/stock');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PROMOTION_NOT_FOUND');
  });
});

describe('confirm body', () => {
  it('is optional, but when present must be strict JSON', async () => {
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    const bad = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve, tip: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect((await api.get(token, placed.body.orderId)).body.status).toBe('held');
  });
});
