import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { client, type Gateway, startGateway, type TestClient } from '../testing/gateway-fixture.js';

/**
 * End to end with the REAL inventory-reservations service (its own wiring, Redis scripts, NATS
 * handlers and Postgres), through its test fixture. Loaded by path so order-gateway takes no build
 * dependency on another service's package.
 */
interface InventoryFixture {
  inv: { config: { NATS_SUBJECT_PREFIX: string } };
  snapshot: (over?: Record<string, unknown>) => { promotionId: string } & Record<string, unknown>;
  apply: (s: unknown) => Promise<'applied' | 'stale'>;
  close: () => Promise<void>;
}
const fixturePath = join(fileURLToPath(new URL('.', import.meta.url)), '../../../inventory-reservations/src/test-support.ts');

let inventory: InventoryFixture;
let gw: Gateway;
let api: TestClient;
let promotionId: string;

beforeAll(async () => {
  const { startFixture } = (await import(fixturePath)) as { startFixture: (env?: Record<string, string>) => Promise<InventoryFixture> };
  inventory = await startFixture();
  const snap = inventory.snapshot({
    products: [
      { sku: 'HOT', name: 'Hot item', priceCents: 1999, stock: 10, perShopperLimit: 2 },
      { sku: 'WARM', name: 'Warm item', priceCents: 500, stock: 100, perShopperLimit: 3 },
    ],
  });
  promotionId = snap.promotionId;
  expect(await inventory.apply(snap)).toBe('applied');
  gw = await startGateway({ inventory: false, env: { NATS_SUBJECT_PREFIX: inventory.inv.config.NATS_SUBJECT_PREFIX } });
  api = client(gw);
});
afterAll(async () => {
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
});
