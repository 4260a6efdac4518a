import { AppError } from '@flashgate/shared/errors';
import type { VerifiedAdmission } from '../adapters/auth/admission-verifier.js';
import { authError } from '../adapters/auth/admission-verifier.js';
import type { Order } from '../domain/order.js';
import type { OrderServiceDeps } from './deps.js';

export function orderNotFound(): AppError {
  return new AppError('ORDER_NOT_FOUND', 'no such order', { status: 404 });
}

/**
 * Loads an order for the holder of `admission`. Someone else's order, or one of another promotion,
 * is "not found" (404, never 403), so order ids cannot be probed. A genuine token past `exp` still
 * opens the one order it created, until ORDER_TOKEN_GRACE_SECONDS after that order's hold expiry,
 * so a shopper admitted at the last second can still pay for, cancel and look at their order.
 */
export async function loadOwnOrder(deps: OrderServiceDeps, admission: VerifiedAdmission, orderId: string): Promise<Order> {
  const { claims, expired } = admission;
  const order = await deps.guards.redis.run(() => deps.store.get(claims.promotion_id, orderId));
  if (expired) {
    const graceEnds = (order?.holdExpiresAt ?? 0) + deps.config.ORDER_TOKEN_GRACE_SECONDS * 1000;
    if (!order || order.jti !== claims.jti || order.shopperId !== claims.sub || deps.now() > graceEnds) {
      deps.metrics.authRejections.inc({ reason: 'AUTH_TOKEN_EXPIRED' });
      throw authError('AUTH_TOKEN_EXPIRED', 'the admission token has expired');
    }
  }
  if (!order || order.shopperId !== claims.sub || order.promotionId !== claims.promotion_id) throw orderNotFound();
  return order;
}
