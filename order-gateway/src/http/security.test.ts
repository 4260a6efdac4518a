import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMISSION_AUDIENCE } from '@flashgate/shared/contracts';
import { client, type Gateway, OTHER_PROMO, order, PROMO, startGateway, type TestResponse } from '../testing/gateway-fixture.js';

/**
 * The shared security suite: every authenticated route is hit with every kind of bad admission
 * token. Each must get its precise 401/403 code and none may reach inventory (stock never moves).
 */
let gw: Gateway;
let api: ReturnType<typeof client>;
let orderId: string;
const OWNER = 'victim';

beforeAll(async () => {
  gw = await startGateway();
  api = client(gw);
  const placed = await api.place(await gw.issuer.token({ sub: OWNER }), order([{ sku: 'SKU-A', quantity: 1 }]));
  expect(placed.status).toBe(201);
  orderId = placed.body.orderId;
});
afterAll(async () => {
  await gw?.close();
});

const now = () => Math.floor(Date.now() / 1000);
type Route = { name: string; send: (authorization: string | undefined) => Promise<TestResponse>; otherPromotion: [number, string] };

const routes: Route[] = [
  {
    name: 'POST /orders',
    send: (authorization) =>
      api.call('POST', '/orders', {
        headers: { ...(authorization ? { authorization } : {}), 'idempotency-key': `k-${Math.random()}` },
        body: order([{ sku: 'SKU-A', quantity: 1 }]),
      }),
    otherPromotion: [403, 'PROMOTION_MISMATCH'],
  },
  {
    name: 'GET /orders/:id',
    send: (authorization) => api.call('GET', `/orders/${orderId}`, { headers: authorization ? { authorization } : {} }),
    otherPromotion: [404, 'ORDER_NOT_FOUND'],
  },
  {
    name: 'POST /orders/:id/confirm',
    send: (authorization) => api.call('POST', `/orders/${orderId}/confirm`, { headers: authorization ? { authorization } : {} }),
    otherPromotion: [404, 'ORDER_NOT_FOUND'],
  },
  {
    name: 'POST /orders/:id/cancel',
    send: (authorization) => api.call('POST', `/orders/${orderId}/cancel`, { headers: authorization ? { authorization } : {} }),
    otherPromotion: [404, 'ORDER_NOT_FOUND'],
  },
];

const bearer = (t: string) => `Bearer ${t}`;
const cases: { name: string; authorization: () => Promise<string | undefined>; expect: (r: Route) => [number, string] }[] = [
  { name: 'missing', authorization: async () => undefined, expect: () => [401, 'AUTH_MISSING'] },
  { name: 'not a bearer token', authorization: async () => 'Basic dXNlcjpwYXNz', expect: () => [401, 'AUTH_MALFORMED'] },
  { name: 'malformed JWT', authorization: async () => bearer('not.a-jwt'), expect: () => [401, 'AUTH_MALFORMED'] },
  {
    name: 'forged signature',
    authorization: async () => bearer(await gw.issuer.forged({ sub: OWNER })),
    expect: () => [401, 'AUTH_INVALID_SIGNATURE'],
  },
  {
    name: 'unknown kid',
    authorization: async () => bearer(await gw.issuer.unknownKid({ sub: OWNER })),
    expect: () => [401, 'AUTH_UNKNOWN_KEY'],
  },
  {
    name: 'expired',
    authorization: async () => bearer(await gw.issuer.token({ sub: OWNER, iat: now() - 700, nbf: now() - 700, exp: now() - 60 })),
    expect: () => [401, 'AUTH_TOKEN_EXPIRED'],
  },
  {
    name: 'not yet valid',
    authorization: async () => bearer(await gw.issuer.token({ sub: OWNER, nbf: now() + 60 })),
    expect: () => [401, 'AUTH_TOKEN_NOT_YET_VALID'],
  },
  {
    name: 'wrong issuer',
    authorization: async () => bearer(await gw.issuer.token({ sub: OWNER, iss: 'evil' })),
    expect: () => [401, 'AUTH_WRONG_ISSUER'],
  },
  {
    name: 'wrong audience',
    authorization: async () => bearer(await gw.issuer.token({ sub: OWNER, aud: 'waiting-room' })),
    expect: () => [401, 'AUTH_WRONG_AUDIENCE'],
  },
  { name: 'alg none', authorization: async () => bearer(gw.issuer.algNone({ sub: OWNER })), expect: () => [401, 'AUTH_ALG_NOT_ALLOWED'] },
  {
    name: 'HS256 keyed with the public key',
    authorization: async () => bearer(await gw.issuer.hs256WithPublicKey({ sub: OWNER })),
    expect: () => [401, 'AUTH_ALG_NOT_ALLOWED'],
  },
  {
    name: 'missing jti',
    authorization: async () => bearer(await gw.issuer.token({ sub: OWNER, jti: undefined })),
    expect: () => [401, 'AUTH_INVALID_CLAIMS'],
  },
  {
    name: 'other promotion',
    authorization: async () => bearer(await gw.issuer.token({ sub: OWNER, promotion_id: OTHER_PROMO, aud: [ADMISSION_AUDIENCE] })),
    expect: (r) => r.otherPromotion,
  },
];

describe.each(routes)('$name', (route) => {
  it.each(cases)('rejects a $name token precisely and never reaches inventory', async (c) => {
    const requestsBefore = gw.inventory!.totalRequests();
    const stockBefore = gw.inventory!.available(PROMO, 'SKU-A');
    const res = await route.send(await c.authorization());
    const [status, code] = c.expect(route);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(gw.inventory!.totalRequests()).toBe(requestsBefore);
    expect(gw.inventory!.available(PROMO, 'SKU-A')).toBe(stockBefore);
  });
});

describe('after the whole suite', () => {
  it('left the victim’s order untouched and counted the rejections by reason', async () => {
    const res = await api.get(await gw.issuer.token({ sub: OWNER }), orderId);
    expect(res.body.status).toBe('held');
    const metrics = await gw.metrics.registry.getSingleMetricAsString('gateway_auth_rejections_total');
    expect(metrics).toMatch(/reason="AUTH_ALG_NOT_ALLOWED"[^}]*\} 8\n/);
    expect(metrics).toMatch(/reason="PROMOTION_MISMATCH"[^}]*\} 1$/m);
  });

  it('fetched the JWKS once for all of it (unknown kids wait for the cooldown)', () => {
    expect(gw.issuer.jwksFetches()).toBe(1);
  });
});
