import { hash } from 'node:crypto';

/**
 * Every Redis key the gateway uses. All of a promotion's keys share the `{promotionId}` hash tag, so
 * the multi-key scripts (idempotency + admission binding + order) stay in one cluster slot.
 * Caller-supplied strings (idempotency keys, jti) are hashed so they cannot inject separators.
 */
export interface GatewayKeys {
  order: (promotionId: string, orderId: string) => string;
  /** Idempotency record: scoped by shopper, so two shoppers' keys never collide. */
  idempotency: (promotionId: string, shopperId: string, idempotencyKey: string) => string;
  /** Admission binding: jti → its live order. */
  admission: (promotionId: string, jti: string) => string;
  /**
   * Index of orders in `confirming` (sorted set, member `promotionId\norderId`, score = lock time ms),
   * read by the confirm-recovery sweeper. One global key with its own hash tag: the sweeper must find
   * stuck orders of every promotion without scanning keys, so it cannot live in a promotion's slot.
   */
  confirming: () => string;
  /**
   * The SIMULATED payment provider's own records (a real provider keeps these on its side): a charge
   * by idempotency key, a refund by payment reference. In Redis so that every gateway process, and a
   * restarted one, sees the charges the others made. Single-key commands only, so no hash tag.
   */
  simCharge: (idempotencyKey: string) => string;
  simRefund: (paymentReference: string) => string;
}

const h = (s: string) => hash('sha256', s, 'base64url').slice(0, 32);

export function gatewayKeys(prefix: string): GatewayKeys {
  const base = `${prefix}:gw`;
  return {
    order: (p, id) => `${base}:{${p}}:order:${id}`,
    idempotency: (p, sub, key) => `${base}:{${p}}:idem:${h(`${sub}\n${key}`)}`,
    admission: (p, jti) => `${base}:{${p}}:jti:${h(jti)}`,
    confirming: () => `${base}:{confirming}:orders`,
    simCharge: (key) => `${base}:simpay:charge:${h(key)}`,
    simRefund: (ref) => `${base}:simpay:refund:${h(ref)}`,
  };
}
