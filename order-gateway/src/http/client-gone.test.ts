/**
 * Under overload a request can be served long after its shopper gave up. A hold taken for nobody ties
 * the stock up until it expires, so POST /orders holds nothing once the client's connection is gone
 * (Node's HTTP server ends the socket when the client closes its side: not writable, then destroyed),
 * and leaves the idempotency key retryable for the shopper's next attempt.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, type Gateway, order, PROMO, startGateway } from '../testing/gateway-fixture.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.close();
});

const goneCount = async () => {
  const m = await gw.metrics.registry.getSingleMetric('gateway_orders_total')?.get();
  return m?.values.find((v) => v.labels.operation === 'place' && v.labels.outcome === 'CLIENT_GONE')?.value ?? 0;
};

/** POST /orders as @hono/node-server hands it over, from a client whose socket is in the given state. */
async function placeFrom(socket: { destroyed: boolean; writable: boolean }, token: string, key: string) {
  const res = await gw.app.request(
    '/orders',
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(order([{ sku: 'SKU-A', quantity: 1 }])),
    },
    { incoming: { socket } },
  );
  return res.status;
}

it('holds nothing for a client that hung up; its retry with the same key then holds once', async () => {
  const token = await gw.issuer.token();
  const holdsBefore = gw.inventory!.requests.hold;
  const availableBefore = gw.inventory!.available(PROMO, 'SKU-A');

  expect(await placeFrom({ destroyed: false, writable: false }, token, 'gone-then-back')).toBe(499);
  expect(await placeFrom({ destroyed: true, writable: false }, token, 'gone-then-back')).toBe(499);
  expect(await goneCount()).toBe(2);
  expect(gw.inventory!.requests.hold).toBe(holdsBefore);
  expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(availableBefore);

  // The shopper comes back with the same key and token: placed normally, once.
  const retry = await client(gw).place(token, order([{ sku: 'SKU-A', quantity: 1 }]), 'gone-then-back');
  expect(retry.status).toBe(201);
  expect(gw.inventory!.requests.hold).toBe(holdsBefore + 1);
  expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(availableBefore - 1);
});

it('a client whose socket is open is answered as usual', async () => {
  expect(await placeFrom({ destroyed: false, writable: true }, await gw.issuer.token(), 'stays')).toBe(201);
});
