import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, promotionBody, promotionsTestEnv, type PromotionsTestEnv, type TestNode } from '../promotions.test-fixture.js';

let env: PromotionsTestEnv;
let node: TestNode;

beforeAll(async () => {
  env = await promotionsTestEnv();
  node = await env.startNode();
});
afterAll(async () => {
  await env?.cleanup();
});

const issuePaths = (body: any): string[] => body.error.details.issues.map((i: { path: string }) => i.path);

describe('admin authentication', () => {
  const routes: [string, string][] = [
    ['GET', '/admin/promotions'],
    ['POST', '/admin/promotions'],
    ['GET', '/admin/promotions/x'],
    ['PATCH', '/admin/promotions/x'],
    ['POST', '/admin/promotions/x/pause'],
    ['POST', '/admin/promotions/x/resume'],
    ['POST', '/admin/promotions/x/cancel'],
    ['GET', '/admin/keys'],
    ['POST', '/admin/keys/rotate'],
  ];

  it.each(routes)('%s %s without a token is 401 UNAUTHENTICATED', async (method, path) => {
    const res = await node.admin(method, path, undefined, null);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each(routes)('%s %s with a wrong token is 403 FORBIDDEN', async (method, path) => {
    for (const wrong of [`${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), 'short']) {
      const res = await node.admin(method, path, undefined, wrong);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('rejects a non-Bearer scheme with 403', async () => {
    const res = await node.app.request('/admin/promotions', { headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(403);
  });

  it('with no ADMIN_TOKEN configured, even a token is refused', async () => {
    const other = await env.startNode({ env: { ADMIN_TOKEN: '' }, start: false });
    const res = await other.admin('GET', '/admin/promotions');
    expect(res.status).toBe(403);
  });
});

describe('promotion CRUD', () => {
  it('creates with defaults, then reads, lists, patches and bumps the version', async () => {
    const body = promotionBody({ id: 'spring-drop' });
    const created = await node.admin('POST', '/admin/promotions', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'spring-drop',
      state: 'scheduled',
      version: 1,
      tokenTtlSeconds: 300,
      graceSeconds: 60,
      paused: false,
      cancelled: false,
      products: body.products,
    });
    expect(Date.parse(created.body.prequeueOpensAt)).toBe(Date.parse(body.windowStart) - 15 * 60_000);

    const got = await node.admin('GET', '/admin/promotions/spring-drop');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const list = await node.admin('GET', '/admin/promotions');
    expect(list.body.promotions.map((p: { id: string }) => p.id)).toContain('spring-drop');

    const patched = await node.admin('PATCH', '/admin/promotions/spring-drop', { admissionRatePerSec: 75, name: 'Spring drop' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ admissionRatePerSec: 75, name: 'Spring drop', version: 2, maxActiveShoppers: 500 });

    // The same values again change nothing, so the version stays.
    const same = await node.admin('PATCH', '/admin/promotions/spring-drop', { admissionRatePerSec: 75 });
    expect(same.body.version).toBe(2);
  });

  it('generates an id when none is given', async () => {
    const created = await node.admin('POST', '/admin/promotions', promotionBody());
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
    expect((await node.admin('GET', `/admin/promotions/${created.body.id}`)).status).toBe(200);
  });

  it('refuses a taken id with 409 PROMOTION_EXISTS', async () => {
    await node.admin('POST', '/admin/promotions', promotionBody({ id: 'taken' }));
    const again = await node.admin('POST', '/admin/promotions', promotionBody({ id: 'taken' }));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PROMOTION_EXISTS');
  });

  it('answers 404 PROMOTION_NOT_FOUND for an unknown id on every route', async () => {
    for (const [method, path, body] of [
      ['GET', '/admin/promotions/nope', undefined],
      ['PATCH', '/admin/promotions/nope', { name: 'x' }],
      ['POST', '/admin/promotions/nope/pause', undefined],
      ['POST', '/admin/promotions/nope/resume', undefined],
      ['POST', '/admin/promotions/nope/cancel', undefined],
    ] as const) {
      const res = await node.admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('PROMOTION_NOT_FOUND');
    }
  });

  it('rejects a malformed id in the path with 400', async () => {
    const res = await node.admin('GET', '/admin/promotions/Bad_Id');
    expect(res.status).toBe(400);
    expect(issuePaths(res.body)).toEqual(['id']);
  });
});

describe('create validation: every problem names its field', () => {
  const now = Date.now();
  const at = (minutes: number) => new Date(now + minutes * 60_000).toISOString();
  const product = { sku: 'A', name: 'A', priceCents: 100, stock: 1, perShopperLimit: 1 };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['end before start', { windowStart: at(60), windowEnd: at(30) }, ['windowEnd']],
    ['end equal to start', { windowStart: at(60), windowEnd: at(60) }, ['windowEnd']],
    ['pre-queue after start', { prequeueOpensAt: at(90), windowStart: at(60), windowEnd: at(120) }, ['prequeueOpensAt']],
    ['window already over', { windowStart: at(-120), windowEnd: at(-60) }, ['windowEnd']],
    ['negative stock', { products: [{ ...product, stock: -1 }] }, ['products.0.stock']],
    ['fractional stock', { products: [{ ...product, stock: 1.5 }] }, ['products.0.stock']],
    ['duplicate SKUs', { products: [product, { ...product, name: 'B' }] }, ['products.1.sku']],
    ['no products', { products: [] }, ['products']],
    ['unknown product field', { products: [{ ...product, colour: 'red' }] }, ['products.0']],
    ['unknown top-level field', { colour: 'red' }, ['(root)']],
    ['rate zero', { admissionRatePerSec: 0 }, ['admissionRatePerSec']],
    ['rate negative', { admissionRatePerSec: -5 }, ['admissionRatePerSec']],
    ['cap below 1', { maxActiveShoppers: 0 }, ['maxActiveShoppers']],
    ['cap not an integer', { maxActiveShoppers: 2.5 }, ['maxActiveShoppers']],
    ['token TTL too long', { tokenTtlSeconds: 7200 }, ['tokenTtlSeconds']],
    ['negative grace', { graceSeconds: -1 }, ['graceSeconds']],
    ['bad id', { id: '-starts-with-dash' }, ['id']],
    ['id with capitals', { id: 'Drop' }, ['id']],
    ['not a date', { windowStart: 'tomorrow' }, ['windowStart']],
    ['missing name', { name: undefined }, ['name']],
    ['negative price', { products: [{ ...product, priceCents: -1 }] }, ['products.0.priceCents']],
    ['per-shopper limit 0', { products: [{ ...product, perShopperLimit: 0 }] }, ['products.0.perShopperLimit']],
  ];

  it.each(cases)('%s', async (_name, overrides, paths) => {
    const res = await node.admin('POST', '/admin/promotions', promotionBody(overrides, now));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(issuePaths(res.body)).toEqual(paths);
  });

  it('reports several field problems at once', async () => {
    const res = await node.admin('POST', '/admin/promotions', promotionBody({ admissionRatePerSec: 0, maxActiveShoppers: 0 }, now));
    expect(issuePaths(res.body).sort()).toEqual(['admissionRatePerSec', 'maxActiveShoppers']);
  });

  it('refuses an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await node.admin('POST', '/admin/promotions', promotionBody({ name: 'x'.repeat(300 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 415 without a JSON content type and 400 MALFORMED_JSON on bad JSON', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const noType = await node.app.request('/admin/promotions', { method: 'POST', headers: auth, body: '{}' });
    expect(noType.status).toBe(415);
    const bad = await node.app.request('/admin/promotions', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('MALFORMED_JSON');
  });
});

describe('changing a promotion', () => {
  const minutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  const create = async (overrides: Record<string, unknown>) => {
    const res = await node.admin('POST', '/admin/promotions', promotionBody(overrides));
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  };

  it('PATCH validates like create, and rejects unknown or empty bodies', async () => {
    const p = await create({});
    const cases: [unknown, string[]][] = [
      [{ windowEnd: minutes(1) }, ['windowEnd']], // now before windowStart (60 min)
      [{ admissionRatePerSec: 0 }, ['admissionRatePerSec']],
      [{ status: 'open' }, ['(root)']],
      [{ id: 'rename' }, ['(root)']],
      [{}, ['(root)']],
      [
        {
          products: [
            { sku: 'A', name: 'A', priceCents: 1, stock: 1, perShopperLimit: 1 },
            { sku: 'A', name: 'B', priceCents: 1, stock: 1, perShopperLimit: 1 },
          ],
        },
        ['products.1.sku'],
      ],
    ];
    for (const [body, paths] of cases) {
      const res = await node.admin('PATCH', `/admin/promotions/${p.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(issuePaths(res.body)).toEqual(paths);
    }
    expect((await node.admin('GET', `/admin/promotions/${p.id}`)).body.version).toBe(1);
  });

  it('before the window opens: start, pre-queue and products (even lower stock, fewer SKUs) may change', async () => {
    const p = await create({});
    const res = await node.admin('PATCH', `/admin/promotions/${p.id}`, {
      prequeueOpensAt: minutes(20),
      windowStart: minutes(30),
      windowEnd: minutes(40),
      products: [{ sku: 'SNK-1', name: 'Sneaker', priceCents: 12_000, stock: 10, perShopperLimit: 2 }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 2, products: [{ sku: 'SNK-1', stock: 10 }] });
  });

  it('once the window opened: start is fixed, stock only rises, SKUs stay, end only extends; the rest may change', async () => {
    const p = await create({ windowStart: minutes(-5), windowEnd: minutes(60) });
    const base = promotionBody().products;
    const refused: [unknown, string[]][] = [
      [{ windowStart: minutes(10) }, ['windowStart']],
      [{ prequeueOpensAt: minutes(-6) }, ['prequeueOpensAt']],
      [{ windowEnd: minutes(30) }, ['windowEnd']],
      [{ products: [{ ...base[0], stock: 99 }, base[1]] }, ['products.0.stock']],
      [{ products: [base[0]] }, ['products']],
    ];
    for (const [body, paths] of refused) {
      const res = await node.admin('PATCH', `/admin/promotions/${p.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body.error.code).toBe('CHANGE_NOT_ALLOWED');
      expect(issuePaths(res.body)).toEqual(paths);
    }
    const allowed = await node.admin('PATCH', `/admin/promotions/${p.id}`, {
      windowEnd: minutes(90),
      admissionRatePerSec: 10,
      maxActiveShoppers: 20,
      tokenTtlSeconds: 120,
      graceSeconds: 5,
      products: [{ ...base[0], stock: 150 }, base[1], { sku: 'NEW', name: 'New', priceCents: 1, stock: 1, perShopperLimit: 1 }],
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ state: 'open', version: 2, admissionRatePerSec: 10, tokenTtlSeconds: 120 });
    expect(allowed.body.products).toHaveLength(3);
  });

  it('pause / resume / cancel: repeats are no-ops, cancel is final', async () => {
    const p = await create({ windowStart: minutes(-5), windowEnd: minutes(60) });
    const path = `/admin/promotions/${p.id}`;
    const paused = await node.admin('POST', `${path}/pause`);
    expect(paused.body).toMatchObject({ state: 'paused', paused: true, version: 2 });
    expect((await node.admin('POST', `${path}/pause`)).body.version).toBe(2);
    const resumed = await node.admin('POST', `${path}/resume`);
    expect(resumed.body).toMatchObject({ state: 'open', paused: false, version: 3 });
    const cancelled = await node.admin('POST', `${path}/cancel`);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', cancelled: true, version: 4 });
    expect((await node.admin('POST', `${path}/cancel`)).body.version).toBe(4);
    for (const [method, suffix, body] of [
      ['POST', '/resume', undefined],
      ['POST', '/pause', undefined],
      ['PATCH', '', { admissionRatePerSec: 1 }],
    ] as const) {
      const res = await node.admin(method, `${path}${suffix}`, body);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('PROMOTION_CANCELLED');
    }
  });

  it('PATCH can pause too, and the state shows it', async () => {
    const p = await create({ windowStart: minutes(-5), windowEnd: minutes(60) });
    const res = await node.admin('PATCH', `/admin/promotions/${p.id}`, { paused: true });
    expect(res.body).toMatchObject({ state: 'paused', version: 2 });
  });

  it('concurrent changes each get their own version', async () => {
    const p = await create({});
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => node.admin('PATCH', `/admin/promotions/${p.id}`, { maxActiveShoppers: 100 + i })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.map((r) => r.body.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('metrics', () => {
  it('counts promotions by state and admin requests by route pattern', async () => {
    await node.admin('GET', '/admin/promotions/spring-drop');
    const text = await node.metrics.registry.metrics();
    expect(text).toMatch(/promotions\{state="scheduled",service="waiting-room"\} [1-9]/);
    expect(text).toMatch(/promotions\{state="cancelled",service="waiting-room"\} [1-9]/);
    expect(text).toContain('route="/admin/promotions/:id"');
  });
});
