import { orderLineSchema } from '@flashgate/shared/contracts';
import { z } from 'zod';

/** POST /orders body: strict (unknown fields are a 400), one line per SKU. */
export const placeOrderBodySchema = z
  .strictObject({
    promotionId: z.string().min(1).max(64),
    lines: z.array(z.strictObject(orderLineSchema.shape)).min(1).max(20),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.lines.forEach((line, i) => {
      if (seen.has(line.sku))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: `duplicate SKU "${line.sku}": one line per SKU` });
      seen.add(line.sku);
    });
  });
export type PlaceOrderBody = z.output<typeof placeOrderBodySchema>;

/** POST /orders/:id/confirm body (optional): the payment method token the provider understands. */
export const confirmBodySchema = z.strictObject({ paymentMethod: z.string().min(1).max(200).optional() });

export const orderParamsSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not an order id') });
export const promotionParamsSchema = z.object({ id: z.string().min(1).max(64) });

/** Printable ASCII, as clients generate (UUIDs, ULIDs, random strings). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
