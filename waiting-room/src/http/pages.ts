import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AppError } from '@flashgate/shared/errors';
import type { AppEnv } from '@flashgate/shared/http';
import { type Context, Hono } from 'hono';

/**
 * The shopper queue page, the checkout page and the marketing console, built by `web/` (Vite) into
 * content-hashed files. One origin for all three (a CDN in front in production): HTML is `no-cache`
 * so a deploy is picked up at once, hashed assets are immutable for a year. Everything is read
 * into memory (and gzipped) on first use: the whole build is a few tens of KB.
 */
export interface PageRoutesOptions {
  /** Public URL of order-gateway, written into the pages (checkout calls it cross-origin). */
  gatewayUrl: string;
  /** Where `web/dist` is; defaults to the monorepo's web/dist next to this package. */
  distDir?: string;
}

interface Asset {
  body: Uint8Array;
  gzip: Uint8Array | null;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};
const PAGES = ['home', 'queue', 'checkout', 'admin'] as const;
type Page = (typeof PAGES)[number];
const ASSET_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const PROMOTION = /^[A-Za-z0-9_-]{1,64}$/;

function defaultDistDir(): string {
  // Walk up from this file (src/http under vitest, dist/http in production) to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, '..', 'web', 'dist');
}

function asset(body: Uint8Array, type: string): Asset {
  const compressible = type.startsWith('text/') || type.includes('json') || type.includes('svg');
  return { body, type, gzip: compressible && body.length > 512 ? gzipSync(body) : null };
}

function loadBuild(distDir: string, gatewayUrl: string) {
  const pages = new Map<Page, Asset>();
  for (const page of PAGES) {
    const file = join(distDir, `${page}.html`);
    if (!existsSync(file)) return null;
    const html = readFileSync(file, 'utf8').replaceAll(
      '<meta name="flashgate-gateway" content="" />',
      `<meta name="flashgate-gateway" content="${escapeAttr(gatewayUrl)}" />`,
    );
    pages.set(page, asset(Buffer.from(html), TYPES['.html'] as string));
  }
  const assets = new Map<string, Asset>();
  const assetDir = join(distDir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      assets.set(name, asset(readFileSync(join(assetDir, name)), TYPES[extname(name)] ?? 'application/octet-stream'));
    }
  }
  return { pages, assets };
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function pageRoutes(opts: PageRoutesOptions) {
  const distDir = opts.distDir ?? defaultDistDir();
  const gatewayOrigin = new URL(opts.gatewayUrl).origin;
  // The admission token lives in sessionStorage: no inline script, no third-party origin may run here.
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${gatewayOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
  let build: ReturnType<typeof loadBuild> = null;
  const get = () => {
    build ??= loadBuild(distDir, opts.gatewayUrl);
    if (!build) throw new AppError('PAGES_NOT_BUILT', `web pages are not built (${distDir}); run pnpm build`, { status: 503 });
    return build;
  };

  const send = (c: Context<AppEnv>, a: Asset, headers: Record<string, string>) => {
    const gzip = a.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const h: Record<string, string> = { 'Content-Type': a.type, Vary: 'Accept-Encoding', 'X-Content-Type-Options': 'nosniff', ...headers };
    if (gzip) h['Content-Encoding'] = 'gzip';
    return c.body((gzip ? a.gzip : a.body) as Uint8Array<ArrayBuffer>, 200, h);
  };
  const page = (c: Context<AppEnv>, name: Page) =>
    send(c, get().pages.get(name) as Asset, {
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': csp,
      'X-Frame-Options': 'DENY',
    });

  const r = new Hono<AppEnv>();
  r.get('/', (c) => page(c, PROMOTION.test(c.req.query('promotion') ?? '') ? 'queue' : 'home'));
  r.get('/queue/:promotionId', (c) => page(c, 'queue'));
  r.get('/checkout/:promotionId', (c) => page(c, 'checkout'));
  r.get('/admin', (c) => page(c, 'admin'));
  r.get('/assets/:file', (c) => {
    const name = c.req.param('file');
    const a = ASSET_NAME.test(name) ? get().assets.get(name) : undefined;
    if (!a) throw new AppError('NOT_FOUND', `no asset ${name}`, { status: 404 });
    return send(c, a, { 'Cache-Control': 'public, max-age=31536000, immutable' });
  });
  return r;
}
