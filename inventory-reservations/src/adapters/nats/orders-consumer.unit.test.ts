import { describe, expect, it } from 'vitest';
import { LedgerRejectedError } from '../db/order.repository.js';
import { isTransient } from './orders-consumer.js';

describe('order batch error classification', () => {
  it('retries connection, concurrency and deployment errors', () => {
    for (const code of ['08006', '40001', '40P01', '53300', '57P01', '42P01', '42703', '3F000', 'ECONNREFUSED']) {
      expect(isTransient(Object.assign(new Error('x'), { code }))).toBe(true);
    }
  });

  it('treats data and integrity errors and a refusing ledger as poison', () => {
    for (const code of ['22P02', '23514', '23502']) {
      expect(isTransient(Object.assign(new Error('bad value'), { code }))).toBe(false);
    }
    expect(isTransient(new LedgerRejectedError('ledger refused 1 of 1 SKU updates'))).toBe(false);
  });
});
