import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '@flashgate/shared/testing';
import { gatewayKeys } from '../adapters/redis/keys.js';
import { OrderStore } from '../adapters/redis/order.store.js';
import { requestFingerprint } from '../domain/fingerprint.js';
import { client, type Gateway, order, PROMO, startGateway } from '../testing/gateway-fixture.js';

let gw: Gateway;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  gw = await startGateway({ env: { INVENTORY_TIMEOUT_MS: '300', IDEMPOTENCY_IN_FLIGHT_TTL_SECONDS: '1' } });
  api = client(gw);
});
afterAll(async () => {
  await gw?.close();
});

describe('Idempotency-Key on POST /orders', () => {
  it('replays the first response for the same key and body, flagged Idempotency-Replayed', async () => {
    const token = await gw.issuer.token();
    const first = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-1');
    expect(first.status).toBe(201);
    const stock = gw.inventory!.available(PROMO, 'SKU-A');
    // Same meaning, different spelling: keys reordered.
    const again = await api.place(token, { lines: [{ quantity: 1, sku: 'SKU-A' }], promotionId: PROMO }, 'key-1');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(stock);
  });

  it('replays rejections too (a sold-out answer stays the answer for that key)', async () => {
    const token = await gw.issuer.token();
    const body = order([{ sku: 'SKU-B', quantity: 99 }]);
    const first = await api.place(token, body, 'key-soldout');
    expect(first.status).toBe(409);
    const again = await api.place(token, body, 'key-soldout');
    expect(again.status).toBe(409);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with a different body', async () => {
    const token = await gw.issuer.token();
    expect((await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-2')).status).toBe(201);
    const holds = gw.inventory!.requests.hold;
    const res = await api.place(token, order([{ sku: 'SKU-A', quantity: 2 }]), 'key-2');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(gw.inventory!.requests.hold).toBe(holds);
  });

  it('scopes keys by shopper: two shoppers using the same key get two orders', async () => {
    const a = await api.place(await gw.issuer.token({ sub: 'ann' }), order([{ sku: 'SKU-A', quantity: 1 }]), 'shared-key');
    const b = await api.place(await gw.issuer.token({ sub: 'bob' }), order([{ sku: 'SKU-A', quantity: 1 }]), 'shared-key');
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.orderId).not.toBe(b.body.orderId);
  });

  it('answers 409 REQUEST_IN_PROGRESS with Retry-After while the first request is in flight', async () => {
    const token = await gw.issuer.token();
    gw.inventory!.behaviour.holdDelayMs = 200;
    try {
      const holds = gw.inventory!.requests.hold;
      const first = api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-slow');
      await waitFor(() => gw.inventory!.requests.hold > holds, { what: 'the first request to reach inventory' });
      const second = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-slow');
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('REQUEST_IN_PROGRESS');
      expect(second.headers.get('retry-after')).toBe('1');
      expect((await first).status).toBe(201);
    } finally {
      gw.inventory!.behaviour.holdDelayMs = 0;
    }
  });

  it('never holds twice under 50 concurrent retries of one key', async () => {
    const token = await gw.issuer.token();
    const holds = gw.inventory!.requests.hold;
    const stock = gw.inventory!.available(PROMO, 'SKU-A');
    gw.inventory!.behaviour.holdDelayMs = 50;
    let answers: Awaited<ReturnType<typeof api.place>>[];
    try {
      answers = await Promise.all(Array.from({ length: 50 }, () => api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-storm')));
    } finally {
      gw.inventory!.behaviour.holdDelayMs = 0;
    }
    const created = answers.filter((r) => r.status === 201);
    const busy = answers.filter((r) => r.status === 409);
    expect(created.length + busy.length).toBe(50);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.orderId)).size).toBe(1);
    expect(busy.every((r) => r.body.error.code === 'REQUEST_IN_PROGRESS')).toBe(true);
    expect(gw.inventory!.requests.hold - holds).toBe(1);
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(stock - 1);
    const replay = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-storm');
    expect(replay.body.orderId).toBe(created[0]!.body.orderId);
  });

  it('never holds twice when the first attempt timed out after inventory had already held', async () => {
    const token = await gw.issuer.token();
    const stock = gw.inventory!.available(PROMO, 'SKU-A');
    gw.inventory!.behaviour.holdDelayMs = 500; // longer than INVENTORY_TIMEOUT_MS: the reply arrives too late
    let first: Awaited<ReturnType<typeof api.place>>;
    try {
      first = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-timeout');
    } finally {
      gw.inventory!.behaviour.holdDelayMs = 0;
    }
    expect(first.status).toBe(503);
    expect(first.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    // The late hold lands in inventory.
    await waitFor(() => gw.inventory!.available(PROMO, 'SKU-A') === stock - 1, { what: 'the late hold' });

    const retry = await api.place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'key-timeout');
    expect(retry.status).toBe(201);
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(stock - 1);
    expect(gw.inventory!.holds.get(retry.body.holdId)?.orderId).toBe(retry.body.orderId);
  });

  it('does not stay locked after a gateway crashed mid-flight (the in-flight record expires)', async () => {
    const token = await gw.issuer.token({ sub: 'crash-shopper', jti: 'crash-jti' });
    const body = order([{ sku: 'SKU-A', quantity: 1 }]);
    // What a gateway that died right after claiming the key leaves behind.
    const store = new OrderStore(gw.redis, gatewayKeys(gw.config.REDIS_KEY_PREFIX));
    const claimed = await store.begin(
      {
        promotionId: PROMO,
        shopperId: 'crash-shopper',
        jti: 'crash-jti',
        idempotencyKey: 'key-crash',
        fingerprint: requestFingerprint('POST', '/orders', body),
        candidateOrderId: uniqueName('ord_'),
      },
      Date.now(),
      1_000,
    );
    expect(claimed.kind).toBe('claimed');
    expect((await api.place(token, body, 'key-crash')).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await api.place(token, body, 'key-crash');
    expect(res.status).toBe(201);
  });

  it('rejects a malformed key with 400', async () => {
    const res = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]), 'has space');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_INVALID');
  });
});

describe('bad tokens and bad bodies never change stock, under concurrency', () => {
  it('200 concurrent bad requests leave stock and inventory untouched', async () => {
    const stock = gw.inventory!.available(PROMO, 'SKU-A');
    const requests = gw.inventory!.totalRequests();
    const good = await gw.issuer.token();
    const forged = await gw.issuer.forged();
    const bad = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? api.place(forged, order([{ sku: 'SKU-A', quantity: 1 }]))
          : api.place(good, order([{ sku: 'SKU-A', quantity: i % 4 === 1 ? 0 : 1.5 }])),
      ),
    );
    expect(bad.every((r) => r.status === 401 || r.status === 400)).toBe(true);
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(stock);
    expect(gw.inventory!.totalRequests()).toBe(requests);
  });
});
