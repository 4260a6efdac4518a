import { z } from 'zod';

/**
 * What inventory-reservations needs to know about a promotion, published by waiting-room (the
 * owner of promotions) on every change. `version` increases with each change; consumers apply a
 * snapshot only if it is newer than what they hold, so redelivery and reordering are harmless.
 */
export const promotionProductSchema = z.object({
  sku: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  priceCents: z.number().int().min(0),
  stock: z.number().int().min(0),
  perShopperLimit: z.number().int().min(1),
});

export const promotionStatusSchema = z.enum(['scheduled', 'prequeue', 'open', 'paused', 'sold_out', 'closed', 'cancelled']);

export const promotionSnapshotSchema = z.object({
  promotionId: z.string().min(1).max(64),
  version: z.number().int().min(1),
  name: z.string(),
  status: promotionStatusSchema,
  windowStart: z.string().datetime(),
  windowEnd: z.string().datetime(),
  holdTtlSeconds: z.number().int().min(10).optional(),
  products: z.array(promotionProductSchema).min(1),
  publishedAt: z.string().datetime(),
});

export type PromotionProduct = z.infer<typeof promotionProductSchema>;
export type PromotionStatus = z.infer<typeof promotionStatusSchema>;
export type PromotionSnapshot = z.infer<typeof promotionSnapshotSchema>;
