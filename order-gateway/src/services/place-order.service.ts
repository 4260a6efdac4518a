import type { AdmissionClaims, HoldReply, OrderLine } from '@flashgate/shared/contracts';
import { AppError, type ErrorEnvelope } from '@flashgate/shared/errors';
import { type Order, orderView } from '../domain/order.js';
import type { IdempotencyRecord } from '../adapters/redis/order.store.js';
import type { Answer, OrderServiceDeps } from './deps.js';

export interface PlaceOrderInput {
  claims: AdmissionClaims;
  idempotencyKey: string;
  fingerprint: string;
  promotionId: string;
  lines: OrderLine[];
  requestId: string;
  /**
   * True once the shopper's connection is gone (their client timed out or went away). Checked just
   * before the hold: under overload a request can be served long after its shopper gave up, and a hold
   * taken for nobody ties the stock up until it expires while everyone else is told it is sold out.
   */
  clientGone?: () => boolean;
}

type HoldRejection = Exclude<HoldReply, { ok: true }>;

/** How each expected "no" from inventory is answered (and replayed). */
const REJECTIONS: Record<HoldRejection['outcome'], { status: number; code: string }> = {
  SOLD_OUT: { status: 409, code: 'SOLD_OUT' },
  LIMIT_EXCEEDED: { status: 409, code: 'LIMIT_EXCEEDED' },
  UNKNOWN_SKU: { status: 422, code: 'UNKNOWN_SKU' },
  PROMOTION_NOT_FOUND: { status: 404, code: 'PROMOTION_NOT_FOUND' },
  PROMOTION_NOT_OPEN: { status: 409, code: 'PROMOTION_NOT_OPEN' },
  INVALID: { status: 400, code: 'INVALID_ORDER' },
  UNAVAILABLE: { status: 503, code: 'DEPENDENCY_UNAVAILABLE' },
  // Only for a replayed order id whose earlier hold has ended: handled below, never cached.
  HOLD_EXPIRED: { status: 409, code: 'HOLD_EXPIRED' },
  HOLD_RELEASED: { status: 409, code: 'HOLD_EXPIRED' },
};

/**
 * POST /orders after auth and validation: claim the idempotency key and the admission (one Redis
 * round trip), hold stock (one NATS request), record the outcome (one Redis round trip). A retry
 * with the same key replays; a retry after a dependency failure reuses the same order id, so
 * inventory sees the same hold again rather than a second one.
 */
export async function placeOrder(deps: OrderServiceDeps, input: PlaceOrderInput): Promise<Answer> {
  const { config, store, guards, metrics } = deps;
  const ids = {
    promotionId: input.promotionId,
    shopperId: input.claims.sub,
    jti: input.claims.jti,
    idempotencyKey: input.idempotencyKey,
  };
  const begun = await guards.redis.run(() =>
    store.begin(
      { ...ids, fingerprint: input.fingerprint, candidateOrderId: deps.newOrderId() },
      deps.now(),
      config.IDEMPOTENCY_IN_FLIGHT_TTL_SECONDS * 1000,
    ),
  );

  if (begun.kind === 'existing') return answerFromRecord(begun.record, input.fingerprint);
  if (begun.kind === 'admission_used') {
    metrics.orders.inc({ operation: 'place', outcome: 'ADMISSION_ALREADY_USED' });
    throw new AppError('ADMISSION_ALREADY_USED', 'this admission already has a live order; cancel it first', {
      status: 409,
      details: { orderId: begun.orderId, status: begun.status },
    });
  }

  const orderId = begun.orderId;
  const finishIds = { ...ids, orderId };
  const recordTtlMs = config.IDEMPOTENCY_TTL_SECONDS * 1000;
  if (input.clientGone?.()) {
    // Nobody to answer: leave the key retryable (the shopper's retry starts this order afresh) and hold nothing.
    metrics.orders.inc({ operation: 'place', outcome: 'CLIENT_GONE' });
    const record: IdempotencyRecord = { state: 'retryable', fingerprint: input.fingerprint, orderId };
    await guards.redis.run(() => store.finish(finishIds, { mode: 'retryable', record, recordTtlMs })).catch(() => undefined);
    throw new AppError('CLIENT_GONE', 'the client closed the connection before its order was placed', { status: 499 });
  }
  let reply: Exclude<HoldReply, { outcome: 'UNAVAILABLE' }>;
  try {
    reply = await deps.inventory.hold({ orderId, promotionId: input.promotionId, shopperId: input.claims.sub, lines: input.lines });
  } catch (err) {
    metrics.orders.inc({ operation: 'place', outcome: 'DEPENDENCY_UNAVAILABLE' });
    const record: IdempotencyRecord = { state: 'retryable', fingerprint: input.fingerprint, orderId };
    // Best effort: if Redis is down too, the in-flight record simply expires.
    await guards.redis.run(() => store.finish(finishIds, { mode: 'retryable', record, recordTtlMs })).catch(() => undefined);
    throw err;
  }

  if (!reply.ok && (reply.outcome === 'HOLD_EXPIRED' || reply.outcome === 'HOLD_RELEASED')) {
    // An earlier attempt under this key did hold (its reply was lost) and that hold has ended since.
    // An order id never holds twice, so the key's next retry starts over with a fresh order id.
    metrics.orders.inc({ operation: 'place', outcome: 'HOLD_EXPIRED' });
    const record: IdempotencyRecord = { state: 'retryable', fingerprint: input.fingerprint, orderId: deps.newOrderId() };
    await guards.redis.run(() => store.finish(finishIds, { mode: 'retryable', record, recordTtlMs }));
    throw new AppError('HOLD_EXPIRED', 'an earlier attempt of this request held stock and that hold has expired; retry', {
      status: 409,
      headers: { 'Retry-After': '1' },
    });
  }
  if (!reply.ok) {
    const r = REJECTIONS[reply.outcome];
    metrics.orders.inc({ operation: 'place', outcome: r.code });
    // toEnvelope's shape without an AppError: a SOLD_OUT is a value, and after a flash sale sells out
    // it is most answers, so no Error (and stack) is built per answer.
    const body: ErrorEnvelope = { error: { code: r.code, message: reply.message } };
    if (input.requestId) body.error.requestId = input.requestId;
    if (reply.sku) body.error.details = { sku: reply.sku };
    const answer: Answer = { status: r.status, body };
    const record: IdempotencyRecord = { state: 'done', fingerprint: input.fingerprint, orderId, status: answer.status, body: answer.body };
    await guards.redis.run(() => store.finish(finishIds, { mode: 'rejected', record, recordTtlMs }));
    return answer;
  }

  const now = deps.now();
  const order: Order = {
    orderId,
    promotionId: input.promotionId,
    shopperId: input.claims.sub,
    jti: input.claims.jti,
    holdId: reply.holdId,
    status: 'held',
    lines: reply.lines,
    amountCents: reply.amountCents,
    holdExpiresAt: Date.parse(reply.expiresAt),
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const answer: Answer = { status: 201, body: orderView(order, now) };
  const record: IdempotencyRecord = { state: 'done', fingerprint: input.fingerprint, orderId, status: 201, body: answer.body };
  const orderTtlMs = Math.max(0, order.holdExpiresAt - now) + config.ORDER_RETENTION_SECONDS * 1000;
  try {
    await guards.redis.run(() => store.finish(finishIds, { mode: 'created', order, record, recordTtlMs, orderTtlMs }));
  } catch (err) {
    // We hold stock we could not record: give it back rather than strand it until the hold expires.
    await deps.inventory.release({ holdId: reply.holdId, promotionId: input.promotionId, reason: 'cancelled' }).catch(() => undefined);
    metrics.orders.inc({ operation: 'place', outcome: 'DEPENDENCY_UNAVAILABLE' });
    throw err;
  }
  metrics.orders.inc({ operation: 'place', outcome: 'created' });
  return answer;
}

function answerFromRecord(record: IdempotencyRecord, fingerprint: string): Answer {
  if (record.fingerprint !== fingerprint) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body', { status: 422 });
  }
  if (record.state === 'done') return { status: record.status, body: record.body, headers: { 'Idempotency-Replayed': 'true' } };
  throw new AppError('REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed', {
    status: 409,
    headers: { 'Retry-After': '1' },
  });
}
