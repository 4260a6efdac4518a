import { promotionProductSchema } from '@flashgate/shared/contracts';
import { z } from 'zod';

/** Tokens live at most this long, so a signing key can leave the JWKS this long after its last use. */
export const MAX_TOKEN_TTL_SECONDS = 3600;
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
export const DEFAULT_GRACE_SECONDS = 60;
export const DEFAULT_PREQUEUE_LEAD_MS = 15 * 60_000;
export const PROMOTION_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 date-time' }).transform((s) => new Date(s));

const productSchema = promotionProductSchema.strict();

const mutableFields = {
  name: z.string().trim().min(1).max(200),
  prequeueOpensAt: isoTime,
  windowStart: isoTime,
  windowEnd: isoTime,
  products: z.array(productSchema).min(1, 'at least one product').max(100),
  admissionRatePerSec: z.number().gt(0, 'must be greater than 0').max(100_000),
  maxActiveShoppers: z.number().int().min(1).max(10_000_000),
  tokenTtlSeconds: z.number().int().min(30).max(MAX_TOKEN_TTL_SECONDS),
  graceSeconds: z.number().int().min(0).max(3600),
};

export const createPromotionSchema = z.strictObject({
  id: z.string().regex(PROMOTION_ID, 'lowercase letters, digits and "-", 1–63 characters, not starting with "-"').optional(),
  ...mutableFields,
  prequeueOpensAt: mutableFields.prequeueOpensAt.optional(),
  tokenTtlSeconds: mutableFields.tokenTtlSeconds.default(DEFAULT_TOKEN_TTL_SECONDS),
  graceSeconds: mutableFields.graceSeconds.default(DEFAULT_GRACE_SECONDS),
});
export type CreatePromotionInput = z.output<typeof createPromotionSchema>;

export const patchPromotionSchema = z
  .strictObject({
    name: mutableFields.name,
    prequeueOpensAt: mutableFields.prequeueOpensAt,
    windowStart: mutableFields.windowStart,
    windowEnd: mutableFields.windowEnd,
    products: mutableFields.products,
    admissionRatePerSec: mutableFields.admissionRatePerSec,
    maxActiveShoppers: mutableFields.maxActiveShoppers,
    tokenTtlSeconds: mutableFields.tokenTtlSeconds,
    graceSeconds: mutableFields.graceSeconds,
    paused: z.boolean(),
  })
  .partial();
export type PatchPromotionInput = z.output<typeof patchPromotionSchema>;

export const promotionIdSchema = z.object({ id: z.string().regex(PROMOTION_ID, 'not a promotion id') });
