import type { Messages } from '../lib/i18n.js';

/** The promotion as the waiting-room admin API takes it (docs/api.md). */
export interface PromotionInput {
  name: string;
  prequeueOpensAt: string;
  windowStart: string;
  windowEnd: string;
  products: { sku: string; name: string; priceCents: number; stock: number; perShopperLimit: number }[];
  admissionRatePerSec: number;
  maxActiveShoppers: number;
  tokenTtlSeconds: number;
  graceSeconds: number;
}

/** Raw form values: strings as the inputs hold them; times as `datetime-local` (the browser's zone). */
export interface PromotionForm {
  name: string;
  prequeueOpensAt: string;
  windowStart: string;
  windowEnd: string;
  admissionRatePerSec: string;
  maxActiveShoppers: string;
  tokenTtlSeconds: string;
  graceSeconds: string;
  products: { sku: string; name: string; priceCents: string; stock: string; perShopperLimit: string }[];
}

export type Validated = { ok: true; value: PromotionInput } | { ok: false; errors: Record<string, string> };

/**
 * Client-side checks so marketing sees every problem at once before submitting; the server
 * validates again and its `details.issues` paths use the same field names.
 */
export function validatePromotion(f: PromotionForm, t: Messages): Validated {
  const errors: Record<string, string> = {};
  const time = (key: 'prequeueOpensAt' | 'windowStart' | 'windowEnd') => {
    const ms = f[key] ? new Date(f[key]).getTime() : Number.NaN;
    if (Number.isNaN(ms)) errors[key] = t.errRequired;
    return ms;
  };
  const int = (key: string, raw: string, min: number) => {
    if (raw.trim() === '') errors[key] = t.errRequired;
    const n = Number(raw);
    if (!errors[key] && !Number.isInteger(n)) errors[key] = t.errInt;
    else if (!errors[key] && n < min) errors[key] = t.errMin(min);
    return n;
  };
  const name = f.name.trim();
  if (!name) errors.name = t.errRequired;
  const pre = time('prequeueOpensAt');
  const start = time('windowStart');
  const end = time('windowEnd');
  if (!errors.windowStart && !errors.prequeueOpensAt && start < pre) errors.windowStart = t.errAfter(t.prequeueOpensAt);
  if (!errors.windowEnd && !errors.windowStart && end <= start) errors.windowEnd = t.errAfter(t.windowStart);
  const rate = Number(f.admissionRatePerSec);
  if (f.admissionRatePerSec.trim() === '' || !(rate > 0))
    errors.admissionRatePerSec = f.admissionRatePerSec.trim() === '' ? t.errRequired : t.errMin(0.1);
  const cap = int('maxActiveShoppers', f.maxActiveShoppers, 1);
  const ttl = int('tokenTtlSeconds', f.tokenTtlSeconds, 30);
  const grace = int('graceSeconds', f.graceSeconds, 0);
  if (f.products.length === 0) errors.products = t.errRequired;
  const skus = new Set<string>();
  const products = f.products.map((p, i) => {
    const sku = p.sku.trim();
    if (!sku) errors[`products.${i}.sku`] = t.errRequired;
    else if (skus.has(sku)) errors[`products.${i}.sku`] = t.errDupSku;
    skus.add(sku);
    if (!p.name.trim()) errors[`products.${i}.name`] = t.errRequired;
    return {
      sku,
      name: p.name.trim(),
      priceCents: int(`products.${i}.priceCents`, p.priceCents, 0),
      stock: int(`products.${i}.stock`, p.stock, 0),
      perShopperLimit: int(`products.${i}.perShopperLimit`, p.perShopperLimit, 1),
    };
  });
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name,
      prequeueOpensAt: new Date(pre).toISOString(),
      windowStart: new Date(start).toISOString(),
      windowEnd: new Date(end).toISOString(),
      products,
      admissionRatePerSec: rate,
      maxActiveShoppers: cap,
      tokenTtlSeconds: ttl,
      graceSeconds: grace,
    },
  };
}
