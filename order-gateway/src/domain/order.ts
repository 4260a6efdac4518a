import type { OrderLine } from '@flashgate/shared/contracts';

export const ORDER_STATUSES = ['held', 'confirming', 'confirmed', 'cancelled', 'expired', 'declined'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Terminal and "dead" statuses free the admission (jti) for a new order; confirmed keeps it used forever. */
export const RELEASING_STATUSES: ReadonlySet<OrderStatus> = new Set(['cancelled', 'expired', 'declined']);

export interface HeldLine extends OrderLine {
  unitPriceCents: number;
}

/** An order as the gateway keeps it (Redis hash); times are epoch milliseconds. */
export interface Order {
  orderId: string;
  promotionId: string;
  shopperId: string;
  jti: string;
  holdId: string;
  status: OrderStatus;
  lines: HeldLine[];
  amountCents: number;
  holdExpiresAt: number;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every transition; transitions are compare-and-set on it. */
  version: number;
  paymentReference?: string;
  /**
   * The charge's idempotency key, written BEFORE the provider is called: set without a
   * paymentReference means a charge may exist that only the provider knows about (look it up).
   */
  paymentKey?: string;
  /** Inventory extended the hold for the payment step. */
  prepared?: boolean;
  /** When the running confirm attempt started (epoch ms); 0 or absent when none is running. */
  confirmingSince?: number;
  refunded?: boolean;
  statusReason?: string;
}

/**
 * A held order whose hold has run out is expired, whether or not anyone has written that down yet;
 * so is a confirm that stopped before charging (nobody is running it) once the hold ran out.
 */
export function effectiveStatus(order: Order, nowMs: number): OrderStatus {
  if (order.holdExpiresAt > nowMs) return order.status;
  if (order.status === 'held') return 'expired';
  if (order.status === 'confirming' && !order.paymentReference && !order.confirmingSince) return 'expired';
  return order.status;
}

/** The public view of an order (GET /orders/:id and the 201 of POST /orders). */
export function orderView(order: Order, nowMs: number) {
  return {
    orderId: order.orderId,
    promotionId: order.promotionId,
    holdId: order.holdId,
    status: effectiveStatus(order, nowMs),
    holdExpiresAt: new Date(order.holdExpiresAt).toISOString(),
    lines: order.lines,
    amountCents: order.amountCents,
    createdAt: new Date(order.createdAt).toISOString(),
    updatedAt: new Date(order.updatedAt).toISOString(),
    ...(order.paymentReference ? { paymentReference: order.paymentReference } : {}),
    ...(order.refunded ? { refunded: true } : {}),
    ...(order.statusReason ? { statusReason: order.statusReason } : {}),
  };
}
export type OrderView = ReturnType<typeof orderView>;
