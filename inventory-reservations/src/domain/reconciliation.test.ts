import { describe, expect, it } from 'vitest';
import { diffSku, summarize } from './reconciliation.js';

const figures = (observed: { available: number; held: number; confirmed: number }, expected: typeof observed) => ({
  sku: 'A',
  initial: 10,
  observed: { ...observed, initial: 10 },
  expected,
});

describe('reconciliation diff', () => {
  it('reports no drift when Redis matches Postgres plus live holds', () => {
    const d = diffSku(figures({ available: 5, held: 2, confirmed: 3 }, { available: 5, held: 2, confirmed: 3 }), true);
    expect(d.availableDrift).toBe(0);
    expect(d.repaired).toBe(false);
    expect(summarize(new Date(), true, [{ promotionId: 'p', skus: [d], pendingMissing: 0, pendingPruned: 0 }]).drifted).toBe(0);
  });

  it('reports positive drift (oversell risk) and repairs it when asked', () => {
    const d = diffSku(figures({ available: 9, held: 2, confirmed: 3 }, { available: 5, held: 2, confirmed: 3 }), true);
    expect(d.availableDrift).toBe(4);
    expect(d.repaired).toBe(true);
  });

  it('flags an oversold SKU and never expects negative availability', () => {
    const d = diffSku(figures({ available: 1, held: 0, confirmed: 10 }, { available: -2, held: 0, confirmed: 12 }), false);
    expect(d.oversold).toBe(true);
    expect(d.expected.available).toBe(0);
    expect(d.repaired).toBe(false);
  });

  it('carries whether the SKU is still listed (an unlisted one is reported, never counted as drift for being unlisted)', () => {
    const same = { available: 1, held: 0, confirmed: 4 };
    expect(diffSku(figures(same, same), true).listed).toBe(true);
    const d = diffSku({ ...figures(same, same), listed: false }, true);
    expect(d).toMatchObject({ listed: false, repaired: false, availableDrift: 0 });
  });
});
