import { AppError } from '@flashgate/shared/errors';
import type { VerifiedAdmission } from '../adapters/auth/admission-verifier.js';
import type { TransitionInput } from '../adapters/redis/order.store.js';
import { effectiveStatus, type Order, type OrderStatus, orderView } from '../domain/order.js';
import { type ChargeResult, chargeKeyOf } from '../domain/payment-provider.js';
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

async function refund(deps: OrderServiceDeps, paymentReference: string): Promise<void> {
  await deps.guards.payment.run((signal) => deps.payment.refund(paymentReference, signal));
}

/**
 * A held order past its hold expiry is recorded as expired (and its admission freed). If a confirm
 * recorded its charge key but no reference, the provider may hold a charge for it: that charge is
 * looked up and refunded BEFORE the order turns expired, since nothing looks at an expired order
 * again. A crash in between only repeats the refund, which the provider treats as the same one; a
 * provider failure throws and leaves the order confirming, for the shopper's retry or the sweeper;
 * losing the claim to a concurrent writer throws REQUEST_IN_PROGRESS.
 */
async function expire(deps: OrderServiceDeps, order: Order): Promise<void> {
  const key = order.paymentKey;
  let charge: ChargeResult | null = null;
  if (key && !order.paymentReference) {
    // Claim the order (compare-and-set) before refunding: a confirm that read it just before us,
    // across the hold's end on another host's clock, would otherwise record and confirm the very
    // charge refunded here. Claimed, every write of such a confirm fails.
    if (!(await move(deps, order, 'confirming', { fields: { confirmingSince: String(deps.now()) } }))) throw changedMeanwhile();
    try {
      charge = await deps.guards.payment.run((signal) => deps.payment.findCharge(key, signal));
      if (charge?.ok) await refund(deps, charge.paymentReference);
    } catch (err) {
      await move(deps, order, 'confirming', { fields: { confirmingSince: '0' } }).catch(() => false);
      throw err;
    }
  }
  const fields: Record<string, string> = { statusReason: 'hold expired' };
  if (charge?.ok) {
    Object.assign(fields, { paymentReference: charge.paymentReference, refunded: '1' });
    deps.logger.warn({ orderId: order.orderId, paymentReference: charge.paymentReference }, 'refunded a charge found by its key');
  }
  if (await move(deps, order, 'expired', { fields })) {
    order.statusReason = 'hold expired';
    if (charge?.ok) {
      order.paymentReference = charge.paymentReference;
      order.refunded = true;
    }
    deps.metrics.orders.inc({ operation: 'confirm', outcome: 'HOLD_EXPIRED' });
    await releaseQuietly(deps, order, 'expired');
  }
}

/** The sweeper resumed a confirm that recorded its charge key, and the provider has no such charge. */
export function chargeNotFound(): AppError {
  return new AppError('CHARGE_NOT_FOUND', 'no charge was made for this order; only the shopper can start one', { status: 409 });
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
 * recorded on the order (prepared with the charge key, then paymentReference), so a confirm
 * interrupted anywhere — even between the provider charging and the reference being written — is
 * resumed by the next call from where it stopped, never charging twice (the charge is keyed and
 * found again by its key) and never confirming twice (inventory confirm is idempotent per hold).
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
 * exact same takeover rule, version checks and recorded steps. `recovery` (the sweeper) never starts
 * a charge: it has no payment method, and the shopper did not ask it to pay.
 */
export async function runConfirm(
  deps: OrderServiceDeps,
  order: Order,
  paymentMethod: string | undefined,
  mode: 'shopper' | 'recovery' = 'shopper',
): Promise<Answer> {
  const { config, metrics } = deps;
  const now = deps.now();
  const status = effectiveStatus(order, now);
  const lock = { confirmingSince: String(now) };
  // An earlier attempt recorded its charge key but not the outcome: only the provider knows it.
  const chargeUnknown = order.paymentKey !== undefined && !order.paymentReference;

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
    // The previous attempt stopped (dependency failure or a crashed gateway). No charge recorded and
    // the hold is over: expire it (refunding a charge found by its key). Else take over where it stopped.
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
  const paymentKey = order.paymentKey ?? chargeKeyOf(order.orderId);
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
      // The charge intent rides on this write: from here on a charge may exist under paymentKey.
      if (!(await move(deps, order, 'confirming', { holdExpiresAt, fields: { prepared: '1', paymentKey } }))) throw changedMeanwhile();
      order.prepared = true;
      order.paymentKey = paymentKey;
    }

    if (!paymentReference) {
      if (!order.paymentKey) {
        // Prepared by a gateway that did not record keys yet: record it before charging all the same.
        if (!(await move(deps, order, 'confirming', { fields: { paymentKey } }))) throw changedMeanwhile();
        order.paymentKey = paymentKey;
      }
      let charge: ChargeResult | null;
      if (mode === 'recovery') {
        // Look up only: if the earlier attempt's charge never landed, starting one is the shopper's call.
        charge = await deps.guards.payment.run((signal) => deps.payment.findCharge(paymentKey, signal));
        if (!charge) throw chargeNotFound();
      } else {
        // Same key as any earlier attempt: if that one's charge did land, this answers it, not a second one.
        charge = await deps.guards.payment.run((signal) =>
          deps.payment.charge(
            { idempotencyKey: paymentKey, amountCents: order.amountCents, shopperId: order.shopperId, paymentMethod },
            signal,
          ),
        );
      }
      if (chargeUnknown)
        deps.logger.warn({ orderId: order.orderId, paymentKey, ok: charge.ok }, 'resumed a charge whose outcome was not recorded');
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
      await refund(deps, paymentReference);
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
