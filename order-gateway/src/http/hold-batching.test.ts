import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Gateway, order, startGateway } from '../testing/gateway-fixture.js';

/**
 * Holds reach inventory batched (INVENTORY_HOLD_BATCH_MAX > 1, the default) or one request each
 * (= 1, for an inventory-reservations that predates the `holds` verb). Either way a shopper sees
 * the same answers, and the stock the same outcome.
 */
describe.each([
  { batchMax: '64', batched: true },
  { batchMax: '1', batched: false },
])('POST /orders with INVENTORY_HOLD_BATCH_MAX=$batchMax', ({ batchMax, batched }) => {
  let gw: Gateway;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    gw = await startGateway({ env: { INVENTORY_HOLD_BATCH_MAX: batchMax } });
    api = client(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('30 shoppers racing for 5 units: exactly 5 held, the rest 409 SOLD_OUT, every answer its own', async () => {
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => gw.issuer.token({ sub: `racer-${batchMax}-${i}` })));
    const answers = await Promise.all(tokens.map((t) => api.place(t, order([{ sku: 'SKU-B', quantity: 1 }]))));
    const held = answers.filter((a) => a.status === 201);
    expect(held).toHaveLength(5);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'SOLD_OUT')).toBe(true);
    expect(answers.filter((a) => a.status !== 201 && a.status !== 409)).toEqual([]);
    expect(new Set(held.map((a) => a.body.holdId)).size).toBe(5);
    expect(new Set(held.map((a) => a.body.orderId)).size).toBe(5);
    expect(gw.inventory!.available('promo-1', 'SKU-B')).toBe(0);
    expect(gw.inventory!.requests.hold).toBe(30);
    if (batched) expect(gw.inventory!.requests.holds).toBeLessThan(30);
    else expect(gw.inventory!.requests.holds).toBe(0);
  });

  it('a hold inventory answers UNAVAILABLE is a 503 for that shopper only; the others in its batch are answered', async () => {
    gw.inventory!.behaviour.unavailableSku = 'SKU-C';
    try {
      const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => gw.issuer.token({ sub: `mixed-${batchMax}-${i}` })));
      const answers = await Promise.all(tokens.map((t, i) => api.place(t, order([{ sku: i % 2 === 0 ? 'SKU-C' : 'SKU-A', quantity: 1 }]))));
      expect(answers.map((a) => a.status)).toEqual([503, 201, 503, 201, 503, 201]);
      expect(answers[0]!.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    } finally {
      gw.inventory!.behaviour.unavailableSku = undefined;
    }
    // The failures were counted, not enough to open the breaker: the next order goes through.
    expect((await api.place(await gw.issuer.token({ sub: `after-${batchMax}` }), order([{ sku: 'SKU-A', quantity: 1 }]))).status).toBe(201);
  });
});
