import { afterEach, describe, expect, it } from 'vitest';
import { natsNames } from '@flashgate/shared/contracts';
import { waitFor } from '@flashgate/shared/testing';
import { SIM_CARDS } from '../adapters/payment/simulated-payment-provider.js';
import { client, type Gateway, order, PRODUCTS, PROMO, startGateway } from '../testing/gateway-fixture.js';
import { startTestInventory } from '../testing/test-inventory.js';

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const metric = async (g: Gateway, name: string) => (await g.metrics.registry.getSingleMetricAsString(name)) ?? '';

describe('inventory down', () => {
  it('answers 503 DEPENDENCY_UNAVAILABLE well under a second when nobody answers inventory requests', async () => {
    gw = await startGateway({ inventory: false });
    const api = client(gw);
    const started = performance.now();
    const res = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]));
    const ms = performance.now() - started;
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', details: { dependency: 'inventory' } });
    expect(res.headers.get('retry-after')).toBe('1');
    expect(ms).toBeLessThan(1_000);
  });

  it('opens the inventory breaker after BREAKER_THRESHOLD failures, then closes once inventory is back', async () => {
    gw = await startGateway({ inventory: false, env: { BREAKER_THRESHOLD: '3', BREAKER_HALF_OPEN_MS: '300' } });
    const api = client(gw);
    for (let i = 0; i < 3; i++) expect((await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]))).status).toBe(503);
    expect(await metric(gw, 'gateway_circuit_breaker_state')).toMatch(/dependency="inventory"[^}]*\} 1$/m);

    // While open, the gateway answers without asking NATS: a responder started now hears nothing.
    const inventory = await startTestInventory(gw.nc, natsNames(gw.config.NATS_SUBJECT_PREFIX), { [PROMO]: PRODUCTS });
    try {
      const rejected = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]));
      expect(rejected.status).toBe(503);
      expect(inventory.requests.hold).toBe(0);
      expect(await metric(gw, 'gateway_dependency_duration_seconds')).toMatch(/dependency="inventory",outcome="rejected"/);

      await new Promise((r) => setTimeout(r, 350));
      const ok = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]));
      expect(ok.status).toBe(201);
      expect(inventory.requests.hold).toBe(1);
      expect(await metric(gw, 'gateway_circuit_breaker_state')).toMatch(/dependency="inventory"[^}]*\} 0$/m);
    } finally {
      await inventory.stop();
    }
  });

  it('times out a hung inventory at INVENTORY_TIMEOUT_MS', async () => {
    gw = await startGateway({ env: { INVENTORY_TIMEOUT_MS: '100' } });
    gw.inventory!.behaviour.holdDelayMs = 2_000;
    const api = client(gw);
    const started = performance.now();
    const res = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]));
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-shopper burst, before reaching inventory', async () => {
    gw = await startGateway({ env: { RATE_LIMIT_SHOPPER_PER_SEC: '0.5', RATE_LIMIT_SHOPPER_BURST: '2' } });
    const api = client(gw);
    const token = await gw.issuer.token();
    expect((await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'a')).status).toBe(201);
    expect((await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'a')).status).toBe(201);
    const holds = gw.inventory!.requests.hold;
    const limited = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'a');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'shopper' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(gw.inventory!.requests.hold).toBe(holds);
    // Another shopper is not affected.
    expect((await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]))).status).toBe(201);
  });

  it('answers 429 past the global limit, even before checking the token', async () => {
    gw = await startGateway({ env: { RATE_LIMIT_GLOBAL_PER_SEC: '1', RATE_LIMIT_GLOBAL_BURST: '1' } });
    const api = client(gw);
    expect((await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]))).status).toBe(201);
    const limited = await api.call('POST', '/orders', { body: order([{ sku: 'SKU-A', quantity: 1 }]) });
    expect(limited.status).toBe(429);
    expect(limited.body.error.details.limit).toBe('global');
  });
});

describe('bulkheads', () => {
  it('a slow payment provider fills the confirm bulkhead, never order placement', async () => {
    gw = await startGateway({ env: { CONFIRM_CONCURRENCY: '1', CONFIRM_QUEUE: '0', PAYMENT_SIM_LATENCY_MS: '400' } });
    const api = client(gw);
    const t1 = await gw.issuer.token();
    const t2 = await gw.issuer.token();
    const o1 = await api.place(t1, order([{ sku: 'SKU-A', quantity: 1 }]));
    const o2 = await api.place(t2, order([{ sku: 'SKU-A', quantity: 1 }]));
    // The simulated provider is slow (400 ms): the first confirm occupies the only confirm slot.
    const slow = api.confirm(t1, o1.body.orderId, { paymentMethod: SIM_CARDS.approve });
    await waitFor(() => gw!.inventory!.requests.prepare > 0, { what: 'the first confirm to be inside the bulkhead' });
    const overloaded = await api.confirm(t2, o2.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(overloaded.status).toBe(503);
    expect(overloaded.body.error).toMatchObject({ code: 'OVERLOADED', details: { bulkhead: 'confirm' } });
    // Placement is untouched by the busy confirm path.
    const placed = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]));
    expect(placed.status).toBe(201);
    expect((await slow).status).toBe(200);
    expect((await api.get(t2, o2.body.orderId)).body.status).toBe('held');
  });

  it('a failing payment provider opens the payment breaker; the order stays confirmable', async () => {
    gw = await startGateway({ env: { BREAKER_THRESHOLD: '2', BREAKER_HALF_OPEN_MS: '200' } });
    const api = client(gw);
    const token = await gw.issuer.token();
    const placed = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]));
    for (let i = 0; i < 2; i++) {
      const res = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.error });
      expect(res.status).toBe(503);
      expect(res.body.error.details.dependency).toBe('payment');
    }
    expect(await metric(gw, 'gateway_circuit_breaker_state')).toMatch(/dependency="payment"[^}]*\} 1$/m);
    expect((await api.get(token, placed.body.orderId)).body.status).toBe('confirming');
    await new Promise((r) => setTimeout(r, 250));
    const ok = await api.confirm(token, placed.body.orderId, { paymentMethod: SIM_CARDS.approve });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('confirmed');
    expect(gw.inventory!.requests.prepare).toBe(1); // resumed after the prepare, not redone
  });
});
