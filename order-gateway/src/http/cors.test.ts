import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { corsAllowList } from './cors.js';

const app = new Hono();
app.use('*', corsAllowList(['http://shop.example', 'http://127.0.0.1:3001/']));
app.onError((_err, c) => c.json({ error: { code: 'SOLD_OUT' } }, 409));
app.post('/orders/fail', () => {
  throw new Error('sold out');
});
app.post('/orders', (c) => c.json({ ok: true }, 201, { 'Retry-After': '1', 'Idempotency-Replayed': 'true' }));

describe('order-gateway CORS allow-list', () => {
  it('lets an allow-listed origin preflight and read the headers the checkout page needs', async () => {
    const pre = await app.request('/orders', {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://127.0.0.1:3001',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3001');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    const res = await app.request('/orders', { method: 'POST', headers: { Origin: 'http://shop.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://shop.example');
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(res.headers.get('access-control-expose-headers')).toContain('Idempotency-Replayed');
  });

  it('keeps the grant on error answers, so the page can read SOLD_OUT and friends', async () => {
    const res = await app.request('/orders/fail', { method: 'POST', headers: { Origin: 'http://shop.example' } });
    expect(res.status).toBe(409);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://shop.example');
  });

  it('gives no CORS grant to an origin that is not listed', async () => {
    const res = await app.request('/orders', { method: 'POST', headers: { Origin: 'http://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('order-gateway CORS without a grant', () => {
  const plain = new Hono();
  plain.use('*', corsAllowList(['http://shop.example']));
  plain.post('/orders', (c) => c.json({ ok: true }, 201));
  plain.get('/raw', () => new Response('raw'));

  it.each([
    ['no Origin', {}],
    ['an unlisted Origin', { Origin: 'http://evil.example' }],
  ])('answers a request with %s with Vary: Origin and no CORS headers', async (_name, headers) => {
    for (const [method, path] of [
      ['POST', '/orders'],
      ['GET', '/raw'],
    ] as const) {
      const res = await plain.request(path, { method, headers });
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('vary')).toBe('Origin');
      expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('still answers an unlisted preflight without a grant', async () => {
    const pre = await plain.request('/orders', {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
