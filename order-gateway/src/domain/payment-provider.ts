/**
 * The payment step behind POST /orders/:id/confirm. A charge is keyed: the gateway records the key
 * on the order BEFORE calling `charge`, so a confirm that stopped between the provider charging and
 * the gateway writing the reference down (crash, lost response, failed Redis write) can always find
 * the charge again by that key — to finish the order with it, or to refund it.
 */
export interface ChargeRequest {
  /** Same key → same charge: a repeat returns the first outcome, never a second charge. */
  idempotencyKey: string;
  amountCents: number;
  shopperId: string;
  /** Opaque payment method from the client (a card token); providers define its meaning. */
  paymentMethod?: string;
}

export type ChargeResult = { ok: true; paymentReference: string } | { ok: false; outcome: 'DECLINED'; reason: string };

export interface PaymentProvider {
  readonly name: string;
  /** Idempotent per `idempotencyKey` (see ChargeRequest). Throws when the provider fails: the outcome is then unknown. */
  charge(req: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  /** The outcome of the charge made with `idempotencyKey`, or null when the provider never took one. */
  findCharge(idempotencyKey: string, signal?: AbortSignal): Promise<ChargeResult | null>;
  /** Idempotent per `paymentReference`: refunding a charge twice refunds it once. */
  refund(paymentReference: string, signal?: AbortSignal): Promise<void>;
}

/**
 * The key of an order's charge. One per order, with no attempt counter: a decline ends the order
 * (`declined` is terminal), so an order is charged at most once ever, and every retry of its
 * confirm — by the shopper, by another gateway process, by the recovery sweeper — is that one charge.
 */
export function chargeKeyOf(orderId: string): string {
  return orderId;
}
