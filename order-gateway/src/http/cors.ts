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
  return cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposeHeaders: ['Retry-After', 'Idempotency-Replayed', 'X-Request-Id'],
    maxAge: 600,
    credentials: false,
  });
}
