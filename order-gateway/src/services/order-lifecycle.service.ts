import { AppError } from '@flashgate/shared/errors';
import type { VerifiedAdmission } from '../adapters/auth/admission-verifier.js';
import type { TransitionInput } from '../adapters/redis/order.store.js';
import { effectiveStatus, type Order, type OrderStatus, orderView } from '../domain/order.js';
import type { Answer, OrderServiceDeps } from './deps.js';
import { loadOwnOrder } from './order-access.js';

export async function getOrder(deps: OrderServiceDeps, admission: VerifiedAdmission, orderId: string): Promise<Answer> {
  const order = await loadOwnOrder(deps, admission, orderId);
  return { status: 200, body: orderView(order, deps.now()) };
}

/** Writes a transition (compare-and-set on version) and updates `order` in place; false when it lost a race. */
async function move(deps: OrderServiceDeps, order: Order, to: OrderStatus, extra: Partial<Omit<TransitionInput, 'to' | 'nowMs'>> = {}) {
  const now = deps.now();
  const terminal = to === 'confirmed' || to === 'cancelled' || to === 'expired' || to === 'declined';
  const ttlMs = terminal
    ? deps.config.ORDER_RETENTION_SECONDS * 1000
    : Math.max(0, (extra.holdExpiresAt ?? order.holdExpiresAt) - now) + deps.config.ORDER_RETENTION_SECONDS * 1000;
  const binding = to === 'cancelled' || to === 'expired' || to === 'declined' ? 'clear' : 'keep';
  const res = await deps.guards.redis.run(() => deps.store.transition(order, { to, ttlMs, binding, nowMs: now, ...extra }));
  if (res.kind !== 'ok') return false;
  order.version = res.version;
  order.status = to;
  order.updatedAt = now;
  if (extra.holdExpiresAt !== undefined) order.holdExpiresAt = extra.holdExpiresAt;
  return true;
}

function changedMeanwhile(): AppError {
  return new AppError('REQUEST_IN_PROGRESS', 'the order changed while this request ran; retry', {
    status: 409,
    headers: { 'Retry-After': '1' },
  });
}

function holdExpired(order: Order, now: number): AppError {
  return new AppError('HOLD_EXPIRED', 'the hold on this order has expired; the items went back on sale', {
    status: 409,
    details: { order: orderView(order, now) },
  });
}

/** Inventory refused our request as malformed: a bug on one side, not the shopper's doing. */
function inventoryRejected(message: string): AppError {
  return new AppError('INVENTORY_REJECTED', `inventory rejected the request: ${message}`, { status: 502 });
}

/** Gives the stock back; failures only log, since inventory expires every hold on its own anyway. */
async function releaseQuietly(deps: OrderServiceDeps, order: Order, reason: 'cancelled' | 'declined' | 'expired') {
  try {
    await deps.inventory.release({ holdId: order.holdId, promotionId: order.promotionId, reason });
    return true;
  } catch (err) {
    deps.logger.warn({ err, orderId: order.orderId, reason }, 'release failed; the hold will expire on its own');
    return false;
  }
}

/** A held order past its hold expiry is recorded as expired (and its admission freed). */
async function expire(deps: OrderServiceDeps, order: Order): Promise<void> {
  if (await move(deps, order, 'expired', { fields: { statusReason: 'hold expired' } })) {
    order.statusReason = 'hold expired';
    deps.metrics.orders.inc({ operation: 'confirm', outcome: 'HOLD_EXPIRED' });
    await releaseQuietly(deps, order, 'expired');
  }
}

export async function cancelOrder(deps: OrderServiceDeps, admission: VerifiedAdmission, orderId: string): Promise<Answer> {
  const order = await loadOwnOrder(deps, admission, orderId);
  const now = deps.now();
  const status = effectiveStatus(order, now);
  if (status === 'cancelled') return { status: 200, body: orderView(order, now) };
  if (status !== 'held') {
    if (status === 'expired' && order.status !== 'expired') await expire(deps, order);
    throw new AppError('ORDER_NOT_CANCELLABLE', `an order that is ${status} cannot be cancelled`, {
      status: 409,
      details: { status },
    });
  }
  // Cancel first, then release: once cancelled, a concurrent confirm can no longer start.
  if (!(await move(deps, order, 'cancelled', { fields: { statusReason: 'cancelled by shopper' } }))) throw changedMeanwhile();
  order.statusReason = 'cancelled by shopper';
  await releaseQuietly(deps, order, 'cancelled');
  deps.metrics.orders.inc({ operation: 'cancel', outcome: 'cancelled' });
  return { status: 200, body: orderView(order, deps.now()) };
}

/**
 * held → confirming → (prepare, charge, confirm) → confirmed; a decline releases the hold
 * (declined, 402); a hold that expired after the charge is refunded (expired, 409). Each step is
 * recorded on the order (prepared, paymentReference), so a confirm interrupted by a dependency
 * failure is resumed by the next call from where it stopped, never charging twice (the provider is
 * idempotent per order id) and never confirming twice (inventory confirm is idempotent per hold).
 */
export async function confirmOrder(
  deps: OrderServiceDeps,
  admission: VerifiedAdmission,
  orderId: string,
  paymentMethod: string | undefined,
): Promise<Answer> {
  const order = await loadOwnOrder(deps, admission, orderId);
  return runConfirm(deps, order, paymentMethod);
}

/**
 * The confirm itself, for an order already loaded (and, for a shopper, already checked to be theirs).
 * Shared by the shopper's confirm and the confirm-recovery sweeper, so a resumed confirm follows the
 * exact same takeover rule, version checks and recorded steps.
 */
export async function runConfirm(deps: OrderServiceDeps, order: Order, paymentMethod: string | undefined): Promise<Answer> {
  const { config, metrics } = deps;
  const now = deps.now();
  const status = effectiveStatus(order, now);
  const lock = { confirmingSince: String(now) };

  if (status === 'confirmed') return { status: 200, body: orderView(order, now) };
  if (status === 'expired') {
    if (order.status !== 'expired') await expire(deps, order);
    throw holdExpired(order, now);
  }
  if (status === 'cancelled' || status === 'declined') {
    throw new AppError('ORDER_NOT_CONFIRMABLE', `an order that is ${status} cannot be confirmed`, { status: 409, details: { status } });
  }
  if (status === 'confirming') {
    if (now - (order.confirmingSince ?? 0) < config.CONFIRM_LOCK_SECONDS * 1000) {
      throw new AppError('REQUEST_IN_PROGRESS', 'this order is being confirmed', { status: 409, headers: { 'Retry-After': '1' } });
    }
    // The previous attempt stopped (dependency failure or a crashed gateway). Nothing charged and
    // the hold is over: there is nothing left to finish. Otherwise take over where it stopped.
    if (!order.paymentReference && order.holdExpiresAt <= now) {
      await expire(deps, order);
      throw holdExpired(order, now);
    }
    if (!(await move(deps, order, 'confirming', { fields: lock }))) throw changedMeanwhile();
  } else if (!(await move(deps, order, 'confirming', { fields: lock }))) {
    throw changedMeanwhile();
  }

  order.confirmingSince = now;
  const unlock = () => move(deps, order, 'confirming', { fields: { confirmingSince: '0' } }).catch(() => false);
  let paymentReference = order.paymentReference;
  try {
    if (!order.prepared && !paymentReference) {
      const prepared = await deps.inventory.prepare({ holdId: order.holdId, promotionId: order.promotionId, orderId: order.orderId });
      if (!prepared.ok && prepared.outcome === 'INVALID') throw inventoryRejected(prepared.message);
      if (!prepared.ok && prepared.outcome !== 'HOLD_CONFIRMED') {
        await move(deps, order, 'expired', { fields: { statusReason: prepared.outcome } });
        metrics.orders.inc({ operation: 'confirm', outcome: 'HOLD_EXPIRED' });
        throw holdExpired(order, deps.now());
      }
      const holdExpiresAt = prepared.ok ? Date.parse(prepared.expiresAt) : order.holdExpiresAt;
      if (!(await move(deps, order, 'confirming', { holdExpiresAt, fields: { prepared: '1' } }))) throw changedMeanwhile();
      order.prepared = true;
    }

    if (!paymentReference) {
      const charge = await deps.guards.payment.run((signal) =>
        deps.payment.charge(
          { idempotencyKey: order.orderId, amountCents: order.amountCents, shopperId: order.shopperId, paymentMethod },
          signal,
        ),
      );
      if (!charge.ok) {
        await releaseQuietly(deps, order, 'declined');
        await move(deps, order, 'declined', { fields: { statusReason: charge.reason } });
        metrics.orders.inc({ operation: 'confirm', outcome: 'PAYMENT_DECLINED' });
        throw new AppError('PAYMENT_DECLINED', charge.reason, { status: 402, details: { status: 'declined' } });
      }
      paymentReference = charge.paymentReference;
      if (!(await move(deps, order, 'confirming', { fields: { paymentReference } }))) throw changedMeanwhile();
      order.paymentReference = paymentReference;
    }

    const confirmed = await deps.inventory.confirm({
      holdId: order.holdId,
      promotionId: order.promotionId,
      orderId: order.orderId,
      paymentReference,
    });
    if (!confirmed.ok && confirmed.outcome === 'INVALID') throw inventoryRejected(confirmed.message);
    if (!confirmed.ok) {
      // Charged, but the stock is gone: give the money back before saying so.
      const ref = paymentReference;
      await deps.guards.payment.run((signal) => deps.payment.refund(ref, signal));
      await move(deps, order, 'expired', { fields: { statusReason: confirmed.outcome, refunded: '1' } });
      order.refunded = true;
      metrics.orders.inc({ operation: 'confirm', outcome: 'HOLD_EXPIRED' });
      throw holdExpired(order, deps.now());
    }
    await move(deps, order, 'confirmed', { fields: { confirmingSince: '0' } });
    metrics.orders.inc({ operation: 'confirm', outcome: 'confirmed' });
    return { status: 200, body: orderView(order, deps.now()) };
  } catch (err) {
    if (order.status === 'confirming') await unlock();
    if (err instanceof AppError && err.code === 'DEPENDENCY_UNAVAILABLE')
      metrics.orders.inc({ operation: 'confirm', outcome: 'DEPENDENCY_UNAVAILABLE' });
    throw err;
  }
}
