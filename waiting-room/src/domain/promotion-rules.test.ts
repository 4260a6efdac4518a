import { describe, expect, it } from 'vitest';
import type { Promotion } from './promotion.js';
import { applyPatch, applyTransition, newPromotion } from './promotion-rules.js';

const t = (min: number) => new Date(Date.UTC(2026, 5, 1, 12) + min * 60_000);
const product = { sku: 'A', name: 'A', priceCents: 100, stock: 10, perShopperLimit: 1 };
const promo = (over: Partial<Promotion> = {}): Promotion => ({
  id: 'p',
  name: 'P',
  cancelled: false,
  paused: false,
  prequeueOpensAt: t(-15),
  windowStart: t(0),
  windowEnd: t(60),
  admissionRatePerSec: 10,
  maxActiveShoppers: 100,
  tokenTtlSeconds: 300,
  graceSeconds: 60,
  products: [product],
  version: 1,
  createdAt: t(-100),
  updatedAt: t(-100),
  ...over,
});

describe('promotion rules', () => {
  it('a new promotion gets its pre-queue 15 minutes before the window by default', () => {
    const r = newPromotion(
      {
        id: 'x',
        name: 'X',
        windowStart: t(30),
        windowEnd: t(90),
        products: [product],
        admissionRatePerSec: 1,
        maxActiveShoppers: 1,
        tokenTtlSeconds: 300,
        graceSeconds: 60,
      },
      t(0),
    );
    expect(r.ok && r.value.prequeueOpensAt).toEqual(t(15));
  });

  it('a closed promotion can no longer change, pause or be cancelled', () => {
    const closed = promo();
    for (const outcome of [
      applyPatch(closed, { windowEnd: t(120) }, t(61)),
      applyTransition(closed, 'pause', t(61)),
      applyTransition(closed, 'cancel', t(61)),
    ]) {
      expect(outcome).toMatchObject({ ok: false, kind: 'conflict', code: 'PROMOTION_CLOSED' });
    }
  });

  it('during the pre-queue the window start may move but the pre-queue opening may not', () => {
    expect(applyPatch(promo(), { windowStart: t(5) }, t(-5))).toMatchObject({ ok: true, changed: true });
    expect(applyPatch(promo(), { prequeueOpensAt: t(-10) }, t(-5))).toMatchObject({ ok: false, code: 'CHANGE_NOT_ALLOWED' });
  });

  it('moving the start past the end is invalid, not a conflict', () => {
    expect(applyPatch(promo(), { windowStart: t(70) }, t(-30))).toMatchObject({
      ok: false,
      kind: 'invalid',
      issues: [{ path: 'windowEnd' }],
    });
  });

  it('an unchanged value is not a change', () => {
    expect(applyPatch(promo(), { admissionRatePerSec: 10, windowStart: t(0) }, t(10))).toMatchObject({ ok: true, changed: false });
  });
});
