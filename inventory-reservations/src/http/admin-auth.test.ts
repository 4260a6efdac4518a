import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { createServiceApp } from '@flashgate/shared/http';
import { describe, expect, it } from 'vitest';
import { adminAuth } from './admin-auth.js';

const TOKEN = 'a-long-enough-admin-token';

function app(token: string | undefined) {
  const a = createServiceApp({
    logger: createLogger('test', 'silent'),
    metrics: createMetrics('test', { defaultMetrics: false }),
    readiness: [],
    dependencyTimeoutMs: 100,
  });
  a.use('/admin/*', adminAuth(token));
  a.post('/admin/reconcile', (c) => c.json({ ok: true }));
  a.get('/admin/reconcile/last', (c) => c.json({ ok: true }));
  a.post('/admin/rebuild', (c) => c.json({ ok: true }));
  a.get('/admin/dead-letters', (c) => c.json({ ok: true }));
  a.post('/admin/dead-letters/replay', (c) => c.json({ ok: true }));
  a.post('/admin/dead-letters/:seq/replay', (c) => c.json({ ok: true }));
  return a;
}

const routes = [
  ['POST', '/admin/reconcile'],
  ['GET', '/admin/reconcile/last'],
  ['POST', '/admin/rebuild'],
  ['GET', '/admin/dead-letters'],
  ['POST', '/admin/dead-letters/replay'],
  ['POST', '/admin/dead-letters/1/replay'],
] as const;

describe('admin routes', () => {
  it.each(routes)('%s %s refuses missing, malformed and wrong tokens with the error envelope', async (method, path) => {
    const a = app(TOKEN);
    for (const authorization of [undefined, TOKEN, `Basic ${TOKEN}`, 'Bearer wrong', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`]) {
      const res = await a.request(path, { method, headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as any).error.code).toBe('UNAUTHORIZED');
    }
    expect((await a.request(path, { method, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('keeps every admin route closed when no token is configured', async () => {
    const a = app(undefined);
    for (const [method, path] of routes) {
      expect((await a.request(path, { method, headers: { authorization: 'Bearer undefined' } })).status).toBe(401);
    }
  });
});
