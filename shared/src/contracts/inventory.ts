import { z } from 'zod';

/**
 * Request/reply between order-gateway and inventory-reservations over core NATS (subjects from
 * natsNames().subjects.inventoryRequest(verb), queue group natsNames().queueGroups.inventory).
 * Every reply is either `{ ok: true, … }` or `{ ok: false, outcome, … }`: expected business
 * outcomes are values. Infrastructure failures come back as `{ ok: false, outcome: 'UNAVAILABLE' }`
 * or as a NATS timeout/no-responders, which the gateway turns into a fast 503.
 */
export const orderLineSchema = z.object({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(1000),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const holdRequestSchema = z.object({
  orderId: z.string().min(1).max(64),
  promotionId: z.string().min(1).max(64),
  shopperId: z.string().min(1).max(128),
  lines: z.array(orderLineSchema).min(1).max(20),
});
export type HoldRequest = z.infer<typeof holdRequestSchema>;

export const heldLineSchema = orderLineSchema.extend({ unitPriceCents: z.number().int().min(0) });

export const holdReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    holdId: z.string(),
    expiresAt: z.string().datetime(),
    lines: z.array(heldLineSchema),
    amountCents: z.number().int().min(0),
    /** True when this orderId already held stock: the reply describes that existing hold. */
    replayed: z.boolean().optional(),
  }),
  z.object({
    ok: z.literal(false),
    /**
     * HOLD_EXPIRED / HOLD_RELEASED: this orderId already held stock and that hold has ended; an
     * orderId never holds twice, so the gateway must start a new order (new orderId).
     */
    outcome: z.enum([
      'SOLD_OUT',
      'LIMIT_EXCEEDED',
      'UNKNOWN_SKU',
      'PROMOTION_NOT_FOUND',
      'PROMOTION_NOT_OPEN',
      'INVALID',
      'UNAVAILABLE',
      'HOLD_EXPIRED',
      'HOLD_RELEASED',
    ]),
    sku: z.string().optional(),
    message: z.string(),
  }),
]);
export type HoldReply = z.infer<typeof holdReplySchema>;

/**
 * Several holds in one request (verb `holds`): the gateway sends the holds that arrive within one
 * turn of its event loop together, so a busy sale costs one NATS message each way per batch instead
 * of per order. Each hold is validated and answered on its own, in order: one bad or sold-out hold
 * never affects the others. A payload that is not a list of holds is INVALID as a whole.
 */
export const HOLD_BATCH_MAX = 256;
export const holdBatchRequestSchema = z.object({ holds: z.array(z.unknown()).min(1).max(HOLD_BATCH_MAX) });
export type HoldBatchRequest = { holds: HoldRequest[] };
export const holdBatchReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), replies: z.array(holdReplySchema) }),
  z.object({ ok: z.literal(false), outcome: z.enum(['INVALID', 'UNAVAILABLE']), message: z.string() }),
]);
export type HoldBatchReply = z.infer<typeof holdBatchReplySchema>;

/**
 * `prepare` runs before the payment step: it marks the hold as confirming and extends its expiry
 * by a short payment window, so a hold cannot expire while the shopper's card is being charged.
 */
export const prepareRequestSchema = z.object({
  holdId: z.string().min(1),
  promotionId: z.string().min(1),
  orderId: z.string().min(1),
});
export type PrepareRequest = z.infer<typeof prepareRequestSchema>;

export const prepareReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), holdId: z.string(), expiresAt: z.string().datetime() }),
  z.object({
    ok: z.literal(false),
    outcome: z.enum(['HOLD_EXPIRED', 'HOLD_NOT_FOUND', 'HOLD_RELEASED', 'HOLD_CONFIRMED', 'INVALID', 'UNAVAILABLE']),
    message: z.string(),
  }),
]);
export type PrepareReply = z.infer<typeof prepareReplySchema>;

/** Makes a (prepared) hold permanent and publishes the order; idempotent per holdId. */
export const confirmRequestSchema = z.object({
  holdId: z.string().min(1),
  promotionId: z.string().min(1),
  orderId: z.string().min(1),
  paymentReference: z.string().min(1).max(200),
});
export type ConfirmRequest = z.infer<typeof confirmRequestSchema>;

export const confirmReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), holdId: z.string(), confirmedAt: z.string().datetime() }),
  z.object({
    ok: z.literal(false),
    /** UNAVAILABLE after a confirm means: retry the confirm (idempotent); the order is not lost. */
    outcome: z.enum(['HOLD_EXPIRED', 'HOLD_NOT_FOUND', 'HOLD_RELEASED', 'INVALID', 'UNAVAILABLE']),
    message: z.string(),
  }),
]);
export type ConfirmReply = z.infer<typeof confirmReplySchema>;

export const releaseRequestSchema = z.object({
  holdId: z.string().min(1),
  promotionId: z.string().min(1),
  reason: z.enum(['cancelled', 'declined', 'expired']),
});
export type ReleaseRequest = z.infer<typeof releaseRequestSchema>;

export const releaseReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), released: z.boolean() }),
  z.object({ ok: z.literal(false), outcome: z.enum(['HOLD_CONFIRMED', 'HOLD_NOT_FOUND', 'INVALID', 'UNAVAILABLE']), message: z.string() }),
]);
export type ReleaseReply = z.infer<typeof releaseReplySchema>;

/** Stock left per SKU of a promotion (for the checkout page and the console). */
export const stockRequestSchema = z.object({ promotionId: z.string().min(1) });
export const stockReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    promotionId: z.string(),
    products: z.array(
      z.object({
        sku: z.string(),
        name: z.string(),
        priceCents: z.number().int(),
        perShopperLimit: z.number().int(),
        initialStock: z.number().int(),
        available: z.number().int(),
        held: z.number().int(),
        confirmed: z.number().int(),
      }),
    ),
  }),
  z.object({ ok: z.literal(false), outcome: z.enum(['PROMOTION_NOT_FOUND', 'INVALID', 'UNAVAILABLE']), message: z.string() }),
]);
export type StockReply = z.infer<typeof stockReplySchema>;

/** JetStream message on orderConfirmed(promotionId), message id = holdId. */
export const orderConfirmedEventSchema = z.object({
  holdId: z.string().min(1),
  orderId: z.string().min(1),
  promotionId: z.string().min(1),
  shopperId: z.string().min(1),
  lines: z.array(heldLineSchema).min(1),
  amountCents: z.number().int().min(0),
  paymentReference: z.string().min(1),
  confirmedAt: z.string().datetime(),
});
export type OrderConfirmedEvent = z.infer<typeof orderConfirmedEventSchema>;

/**
 * Published by inventory-reservations on stockStatus(promotionId) whenever a promotion's stock
 * changes (throttled to a few per second) and on a slow heartbeat. `soldOut` is final: nothing is
 * available and no hold is outstanding that could still return stock.
 */
export const stockStatusEventSchema = z.object({
  promotionId: z.string(),
  available: z.number().int().min(0),
  held: z.number().int().min(0),
  confirmed: z.number().int().min(0),
  soldOut: z.boolean(),
  at: z.number(),
});
export type StockStatusEvent = z.infer<typeof stockStatusEventSchema>;
