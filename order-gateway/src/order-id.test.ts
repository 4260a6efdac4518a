import { describe, expect, it } from 'vitest';
import { newOrderId } from './app.js';

describe('newOrderId', () => {
  it('gives distinct ord_ ids of 12 random bytes, across pool refills', () => {
    const ids = Array.from({ length: 2_000 }, () => newOrderId());
    for (const id of ids) {
      expect(id).toMatch(/^ord_[A-Za-z0-9_-]{16}$/);
      expect(Buffer.from(id.slice(4), 'base64url')).toHaveLength(12);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
