import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '@flashgate/shared/http';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { pageRoutes } from './pages.js';

// A stand-in build with the same shape as web/dist (the real one is exercised by web's e2e tests).
const dist = mkdtempSync(join(tmpdir(), 'fg-pages-'));
mkdirSync(join(dist, 'assets'));
for (const page of ['home', 'queue', 'checkout', 'admin']) {
  writeFileSync(join(dist, `${page}.html`), `<!doctype html><meta name="flashgate-gateway" content="" /><title>${page}</title>`);
}
writeFileSync(join(dist, 'assets', 'queue-abc123.js'), `console.log(${JSON.stringify('x'.repeat(2000))})`);
afterAll(() => rmSync(dist, { recursive: true, force: true }));

// Mounted on the service app so errors come out in the one envelope, as in buildApp.
function appWith(distDir: string) {
  const app = createServiceApp({
    logger: createLogger('pages-test', 'silent'),
    metrics: createMetrics('pages-test'),
    readiness: [],
    dependencyTimeoutMs: 100,
  });
  app.route('/', pageRoutes({ gatewayUrl: 'https://orders.example.com', distDir }));
  return app;
}
const app = appWith(dist);

describe('waiting-room page routes', () => {
  it('serves each page as no-cache HTML with no-referrer, a CSP allowing the gateway, and the gateway URL filled in', async () => {
    for (const [path, page] of [
      ['/queue/p1', 'queue'],
      ['/checkout/p1', 'checkout'],
      ['/admin', 'admin'],
      ['/', 'home'],
      ['/?promotion=p1', 'queue'],
    ] as const) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("connect-src 'self' https://orders.example.com");
      const html = await res.text();
      expect(html).toContain(`<title>${page}</title>`);
      expect(html).toContain('content="https://orders.example.com"');
    }
  });

  it('serves hashed assets as immutable, gzipped when asked', async () => {
    const res = await app.request('/assets/queue-abc123.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toContain('text/javascript');
    const plain = await app.request('/assets/queue-abc123.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.text()).length).toBeGreaterThan(2000);
  });

  it('answers 404 for unknown or path-escaping asset names', async () => {
    const res = await app.request('/assets/nope.js');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await app.request('/assets/..%2Fqueue.html')).status).toBe(404);
  });

  it('answers 503 PAGES_NOT_BUILT when the web build is missing', async () => {
    const res = await appWith(join(dist, 'nope')).request('/admin');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAGES_NOT_BUILT');
  });
});
