import type { NatsNames, OrderConfirmedEvent } from '@flashgate/shared/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ConfirmedHold } from '../redis/inventory.store.js';

export function orderEvent(h: ConfirmedHold): OrderConfirmedEvent {
  return {
    holdId: h.holdId,
    orderId: h.orderId,
    promotionId: h.promotionId,
    shopperId: h.shopperId,
    lines: h.lines,
    amountCents: h.amountCents,
    paymentReference: h.paymentReference,
    confirmedAt: new Date(h.confirmedAt).toISOString(),
  };
}

/**
 * Publishes a confirmed order with the hold id as message id, and resolves only once JetStream has
 * stored it (the server drops a repeat inside the duplicate window). Throws on timeout or failure.
 */
export async function publishConfirmedOrder(js: JetStreamClient, names: NatsNames, h: ConfirmedHold, timeoutMs: number): Promise<void> {
  await js.publish(names.subjects.orderConfirmed(h.promotionId), JSON.stringify(orderEvent(h)), { msgID: h.holdId, timeout: timeoutMs });
}
