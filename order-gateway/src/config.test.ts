import { describe, expect, it } from 'vitest';
import { confirmLockTooShort, loadConfig } from './config.js';

describe('order-gateway config', () => {
  it('the defaults give a confirm lock longer than the longest confirm their timeouts allow', () => {
    expect(confirmLockTooShort(loadConfig({}))).toBeUndefined();
  });

  it('names a lock that a live confirm could outlast (so main warns at start)', () => {
    const c = loadConfig({ CONFIRM_LOCK_SECONDS: '10', PAYMENT_TIMEOUT_MS: '8000' });
    // 2 × 1,500 inventory + 8,000 payment + 4 × 1,000 Redis = 15,000 ms > 10,000 ms.
    expect(confirmLockTooShort(c)).toEqual({ lockMs: 10_000, worstConfirmMs: 15_000 });
  });

  it('rejects a bad hold batch size with the variable named', () => {
    expect(() => loadConfig({ INVENTORY_HOLD_BATCH_MAX: '0' })).toThrow(/INVENTORY_HOLD_BATCH_MAX/);
    expect(() => loadConfig({ INVENTORY_HOLD_BATCH_MAX: '257' })).toThrow(/INVENTORY_HOLD_BATCH_MAX/);
  });
});
