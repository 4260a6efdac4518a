import { describe, expect, it } from 'vitest';
import { mergeLines, replayOutcome } from './hold.js';
import { stockStatus } from './stock-status.js';

describe('hold rules', () => {
  it('merges lines naming the same SKU, keeping first-seen order', () => {
    expect(
      mergeLines([
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 3 },
      ]),
    ).toEqual([
      { sku: 'B', quantity: 4 },
      { sku: 'A', quantity: 2 },
    ]);
  });

  it('answers a replayed orderId with its hold while it lives, never a second hold once it ended', () => {
    expect(replayOutcome('held')).toBe('OK');
    expect(replayOutcome('confirmed')).toBe('OK');
    expect(replayOutcome('released')).toBe('HOLD_RELEASED');
    expect(replayOutcome('expired')).toBe('HOLD_EXPIRED');
    expect(replayOutcome('gone')).toBe('HOLD_EXPIRED');
  });

  it('calls a promotion sold out only when nothing is available and nothing is held', () => {
    expect(stockStatus('p', [{ available: 0, held: 1, confirmed: 9 }], 1).soldOut).toBe(false);
    expect(stockStatus('p', [{ available: 0, held: 0, confirmed: 10 }], 1)).toEqual({
      promotionId: 'p',
      available: 0,
      held: 0,
      confirmed: 10,
      soldOut: true,
      at: 1,
    });
  });
});
