import { describe, expect, it } from 'vitest';
import { validatePromotion, type PromotionForm } from './validate.js';

// The message table is only used for wording; any object with the same keys would do.
const t = new Proxy(
  {},
  { get: (_, k) => (typeof k === 'string' && k.startsWith('err') ? (x?: unknown) => `${k}:${x ?? ''}` : k) },
) as never;

const form = (over: Partial<PromotionForm> = {}): PromotionForm => ({
  name: 'Autumn drop',
  prequeueOpensAt: '2030-01-01T09:00',
  windowStart: '2030-01-01T10:00',
  windowEnd: '2030-01-01T11:00',
  admissionRatePerSec: '50',
  maxActiveShoppers: '500',
  tokenTtlSeconds: '300',
  graceSeconds: '30',
  products: [{ sku: 'TEE-1', name: 'Tee', priceCents: '1900000', stock: '100', perShopperLimit: '2' }],
  ...over,
});

describe('validatePromotion (marketing console form)', () => {
  it('turns a good form into the admin API body with UTC times', () => {
    const r = validatePromotion(form(), t);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.windowStart).toBe(new Date('2030-01-01T10:00').toISOString());
    expect(r.value.products[0]).toEqual({ sku: 'TEE-1', name: 'Tee', priceCents: 1900000, stock: 100, perShopperLimit: 2 });
    expect(r.value.admissionRatePerSec).toBe(50);
  });

  it('reports every problem at once, by field', () => {
    const r = validatePromotion(
      form({
        name: ' ',
        windowStart: '2030-01-01T08:00',
        maxActiveShoppers: '0',
        tokenTtlSeconds: '1.5',
        products: [
          { sku: 'A', name: 'a', priceCents: '1', stock: '-1', perShopperLimit: '1' },
          { sku: 'A', name: '', priceCents: '1', stock: '1', perShopperLimit: '0' },
        ],
      }),
      t,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(
      [
        'name',
        'windowStart',
        'maxActiveShoppers',
        'tokenTtlSeconds',
        'products.0.stock',
        'products.1.sku',
        'products.1.name',
        'products.1.perShopperLimit',
      ].sort(),
    );
  });

  it('rejects a window that ends before it starts and a missing rate', () => {
    const r = validatePromotion(form({ windowEnd: '2030-01-01T10:00', admissionRatePerSec: '' }), t);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['admissionRatePerSec', 'windowEnd']);
  });
});
