import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * The checkout page is served by waiting-room (another origin) and calls this gateway from the
 * browser. Only the allow-listed origins (CORS_ALLOWED_ORIGINS) get CORS headers; the admission JWT
 * travels in Authorization, never in cookies, so credentials stay off. Retry-After and
 * Idempotency-Replayed are exposed because the page acts on them (back off; a replayed answer).
 */
export function corsAllowList(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '')));
  const grant = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposeHeaders: ['Retry-After', 'Idempotency-Replayed', 'X-Request-Id'],
    maxAge: 600,
    credentials: false,
  });
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' || allowed.has(c.req.header('origin') ?? '')) return grant(c, next);
    // No grant for this request (no Origin — servers, load generators — or one not listed): hono's
    // cors() would still put Access-Control-Expose-Headers on it (meaningless without a grant), and
    // it does so on c.res before the handler runs, which makes Hono rebuild every answer as a full
    // web Response (≈4% of an order's CPU). Only `Vary: Origin` matters here, for caches; set before
    // the handler it joins the answer's headers for free.
    c.header('Vary', 'Origin', { append: true });
    await next();
    // A handler that returned its own Response object did not get the prepared headers.
    if (!/\borigin\b/i.test(c.res.headers.get('vary') ?? '')) c.header('Vary', 'Origin', { append: true });
  };
}
