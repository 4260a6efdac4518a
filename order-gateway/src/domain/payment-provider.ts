/**
 * The payment step behind POST /orders/:id/confirm. Implementations must be idempotent per
 * `idempotencyKey` (the gateway passes the order id): a retried charge after a timeout must not
 * charge twice, and returns the first outcome.
 */
export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: number;
  shopperId: string;
  /** Opaque payment method from the client (a card token); providers define its meaning. */
  paymentMethod?: string;
}

export type ChargeResult = { ok: true; paymentReference: string } | { ok: false; outcome: 'DECLINED'; reason: string };

export interface PaymentProvider {
  readonly name: string;
  charge(req: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  refund(paymentReference: string, signal?: AbortSignal): Promise<void>;
}
