import { AppError } from '@flashgate/shared/errors';
import type { Order } from '../domain/order.js';
import type { OrderServiceDeps } from './deps.js';
import { runConfirm } from './order-lifecycle.service.js';

/** What one recovery attempt ended as (the `outcome` label of gateway_confirm_recoveries_total). */
export type RecoveryOutcome = 'confirmed' | 'expired' | 'declined' | 'busy' | 'waiting' | 'failed';

const BATCH = 50;
const PARALLEL = 5;

/**
 * One pass of the confirm-recovery sweeper: resumes orders left in `confirming` by a confirm that
 * stopped (crashed gateway, dependency timeout) once their lock is older than CONFIRM_LOCK_SECONDS.
 * It goes through runConfirm, the shopper's own retry path, so the takeover rule and the per-order
 * version check decide who resumes: a live confirm is never stolen, and of two sweepers (or a sweeper
 * and a shopper) racing for one order only one wins, the other sees `busy`.
 *
 * An order that recorded its charge key without a reference is resumed at once: the charge is looked
 * up by that key, and if the provider has it the order is confirmed (or, its hold gone, refunded).
 * An order that never charged is only finished here once its hold is over (→ expired): the sweeper
 * has no payment method to charge with, so until then it is the shopper's to retry (`waiting`).
 */
export async function sweepConfirming(deps: OrderServiceDeps): Promise<RecoveryOutcome[]> {
  const lockMs = deps.config.CONFIRM_LOCK_SECONDS * 1000;
  const due = await deps.guards.redis.run(() => deps.store.confirmingBefore(deps.now() - lockMs, BATCH));
  const outcomes: RecoveryOutcome[] = [];
  for (let i = 0; i < due.length; i += PARALLEL) {
    const settled = await Promise.all(due.slice(i, i + PARALLEL).map((e) => recoverOne(deps, e.promotionId, e.orderId, lockMs)));
    for (const o of settled) if (o) outcomes.push(o);
  }
  return outcomes;
}

async function recoverOne(deps: OrderServiceDeps, promotionId: string, orderId: string, lockMs: number): Promise<RecoveryOutcome | null> {
  const { store } = deps;
  let order: Order | null = null;
  try {
    order = await deps.guards.redis.run(() => store.get(promotionId, orderId));
    // Finished (or gone) meanwhile; the index entry outlived it (crash between the two writes).
    if (order?.status !== 'confirming') {
      await deps.guards.redis.run(() => store.unmarkConfirming(promotionId, orderId));
      return null;
    }
    const now = deps.now();
    const since = order.confirmingSince;
    if (since && now - since < lockMs) {
      await deps.guards.redis.run(() => store.markConfirming(promotionId, orderId, since));
      return null;
    }
    if (!order.paymentReference && !order.paymentKey && order.holdExpiresAt > now) {
      await lookAgainAtHoldEnd(deps, order, lockMs);
      return null;
    }
    const res = await runConfirm(deps, order, undefined, 'recovery');
    return res.status === 200 ? record(deps, 'confirmed') : record(deps, 'failed');
  } catch (err) {
    if (err instanceof AppError) {
      if (err.code === 'CHARGE_NOT_FOUND' && order) {
        // Best effort: if this write fails the entry keeps its old score and is simply seen again sooner.
        await lookAgainAtHoldEnd(deps, order, lockMs).catch(() => undefined);
        return record(deps, 'waiting');
      }
      if (err.code === 'HOLD_EXPIRED') return record(deps, 'expired');
      if (err.code === 'PAYMENT_DECLINED') return record(deps, 'declined');
      if (err.code === 'REQUEST_IN_PROGRESS') return record(deps, 'busy');
    }
    deps.logger.warn({ err, orderId, promotionId }, 'confirm recovery failed; retrying next interval');
    return record(deps, 'failed');
  }
}

/** Look again when the hold runs out (a shopper's retry re-indexes it earlier anyway). */
async function lookAgainAtHoldEnd(deps: OrderServiceDeps, order: Order, lockMs: number): Promise<void> {
  await deps.guards.redis.run(() => deps.store.markConfirming(order.promotionId, order.orderId, order.holdExpiresAt - lockMs));
}

function record(deps: OrderServiceDeps, outcome: RecoveryOutcome): RecoveryOutcome {
  deps.metrics.confirmRecoveries.inc({ outcome });
  return outcome;
}

/** Runs sweepConfirming every `intervalMs` (no overlap) until `signal` aborts; 0 disables it. */
export function startConfirmRecovery(deps: OrderServiceDeps, intervalMs: number, signal?: AbortSignal): void {
  if (intervalMs <= 0 || signal?.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      await sweepConfirming(deps);
    } catch (err) {
      deps.logger.warn({ err }, 'confirm recovery sweep failed');
    }
    if (!signal?.aborted) schedule();
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
  schedule();
}
