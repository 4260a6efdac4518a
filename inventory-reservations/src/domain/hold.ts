import type { OrderLine } from '@flashgate/shared/contracts';

/** Lines of one order with each SKU once (quantities summed), in first-seen order. */
export function mergeLines(lines: readonly OrderLine[]): OrderLine[] {
  const bySku = new Map<string, number>();
  for (const l of lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  return [...bySku].map(([sku, quantity]) => ({ sku, quantity }));
}

export type HoldState = 'held' | 'confirming' | 'confirmed' | 'expired' | 'released';

export type HoldFailure = 'SOLD_OUT' | 'LIMIT_EXCEEDED' | 'UNKNOWN_SKU' | 'PROMOTION_NOT_FOUND' | 'PROMOTION_NOT_OPEN';

export const holdFailureMessages: Record<HoldFailure | 'HOLD_EXPIRED' | 'HOLD_RELEASED', string> = {
  SOLD_OUT: 'not enough stock left',
  LIMIT_EXCEEDED: 'the per-shopper limit for this product would be exceeded',
  UNKNOWN_SKU: 'the promotion has no such product',
  PROMOTION_NOT_FOUND: 'no such promotion',
  PROMOTION_NOT_OPEN: 'the promotion is not open for orders',
  HOLD_EXPIRED: 'this order already held stock and the hold has expired',
  HOLD_RELEASED: 'this order already held stock and the hold was released',
};

/** A replayed orderId answers with its existing hold; an ended one cannot hold again. */
export function replayOutcome(state: string): 'OK' | 'HOLD_EXPIRED' | 'HOLD_RELEASED' {
  if (state === 'held' || state === 'confirming' || state === 'confirmed') return 'OK';
  if (state === 'released') return 'HOLD_RELEASED';
  return 'HOLD_EXPIRED';
}

export interface HeldLine extends OrderLine {
  unitPriceCents: number;
}

/**
 * Promotion ids become NATS subject tokens and sit inside a Redis hash tag: no dots, wildcards,
 * spaces or braces.
 */
export const PROMOTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
