import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@flashgate/shared/errors';
import type { MiddlewareHandler } from 'hono';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer ADMIN_TOKEN, compared in constant time (both sides hashed first so lengths never leak).
 * With no token configured the admin routes are closed.
 */
export function adminAuth(token: string | undefined): MiddlewareHandler {
  return async (_c, next) => {
    const header = _c.req.header('authorization') ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!token || !match || !timingSafeEqual(digest(match[1] as string), digest(token))) {
      throw new AppError('UNAUTHORIZED', 'a valid admin bearer token is required', {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    await next();
  };
}
