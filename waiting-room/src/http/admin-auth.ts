import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@flashgate/shared/errors';
import type { MiddlewareHandler } from 'hono';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are hashed first so the comparison is constant
 * time whatever the lengths. No header → 401; a wrong token (or no token configured) → 403.
 */
export function adminAuth(adminToken: string | undefined): MiddlewareHandler {
  const expected = adminToken ? sha256(adminToken) : undefined;
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      throw new AppError('UNAUTHENTICATED', 'admin API needs Authorization: Bearer <ADMIN_TOKEN>', {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer realm="admin"' },
      });
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = sha256(match?.[1] ?? '');
    if (!expected || !match || !timingSafeEqual(given, expected)) {
      throw new AppError('FORBIDDEN', expected ? 'admin token not accepted' : 'admin API is disabled: ADMIN_TOKEN is not set', {
        status: 403,
      });
    }
    await next();
  };
}
