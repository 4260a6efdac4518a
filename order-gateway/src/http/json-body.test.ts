/**
 * POST /orders reads its body straight from the socket when served by @hono/node-server
 * (json-body.ts). Over a real HTTP server it must answer exactly as the in-process path does.
 */
import { type HttpServerHandle, serveHttp } from '@flashgate/shared/http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, type Gateway, order, PROMO, startGateway } from '../testing/gateway-fixture.js';

let gw: Gateway;
let server: HttpServerHandle;
beforeAll(async () => {
  gw = await startGateway();
  server = await serveHttp(gw.app, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await gw?.close();
});

async function overHttp(token: string, body: string, contentType: string, key: string) {
  const res = await fetch(`${server.url}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': contentType },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const cases: [string, string, string][] = [
  ['not JSON', '{"promotionId": ', 'application/json'],
  ['empty', '', 'application/json'],
  ['wrong content type', JSON.stringify(order([{ sku: 'SKU-A', quantity: 1 }])), 'text/plain'],
  ['schema violation', JSON.stringify({ promotionId: PROMO, lines: [{ sku: 'SKU-A', quantity: 0 }], extra: 1 }), 'application/json'],
  [
    'duplicate SKU',
    JSON.stringify(
      order([
        { sku: 'SKU-A', quantity: 1 },
        { sku: 'SKU-A', quantity: 1 },
      ]),
    ),
    'application/json',
  ],
];

it.each(cases)('answers a %s body over HTTP exactly as in process', async (_name, body, contentType) => {
  const token = await gw.issuer.token();
  const http = await overHttp(token, body, contentType, `h-${_name}`);
  const local = await client(gw).call('POST', '/orders', {
    token,
    body,
    headers: { 'content-type': contentType, 'idempotency-key': `l-${_name}` },
  });
  expect(http.status).toBe(local.status);
  expect(http.status).toBeGreaterThanOrEqual(400);
  const strip = (b: any) => ({ ...b.error, requestId: undefined });
  expect(strip(http.body)).toEqual(strip(local.body));
  expect(gw.inventory!.requests.hold).toBe(0);
});

it('places an order from a body read off the socket (with a UTF-8 BOM, as fetch bodies allow)', async () => {
  const token = await gw.issuer.token();
  const res = await overHttp(token, `\uFEFF${JSON.stringify(order([{ sku: 'SKU-A', quantity: 1 }]))}`, 'application/json', 'bom');
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ status: 'held', promotionId: PROMO });
});
