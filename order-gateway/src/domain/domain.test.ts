import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from './fingerprint.js';
import { effectiveStatus, type Order } from './order.js';
import { TokenBuckets } from './token-bucket.js';

describe('requestFingerprint', () => {
  it('ignores key order and whitespace, not values', () => {
    const a = requestFingerprint('POST', '/orders', { promotionId: 'p', lines: [{ sku: 'A', quantity: 1 }] });
    const b = requestFingerprint('post', '/orders', JSON.parse('{ "lines": [ { "quantity": 1, "sku": "A" } ], "promotionId": "p" }'));
    const c = requestFingerprint('POST', '/orders', { promotionId: 'p', lines: [{ sku: 'A', quantity: 2 }] });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(requestFingerprint('POST', '/other', { promotionId: 'p', lines: [{ sku: 'A', quantity: 1 }] })).not.toBe(a);
  });

  it('canonicalJson sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[2,{"c":2,"d":1}]}');
  });

  it('canonicalJson gives exactly the bytes of its first formulation (stored records stay valid)', () => {
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
    };
    const samples: unknown[] = [
      { promotionId: 'p', lines: [{ sku: 'A', quantity: 1 }] },
      { z: 1, a: undefined, é: 'ü', '"q"': [null, undefined, 1.5, -0, 'x\n'], B: {}, b: [] },
      [undefined, { k: undefined }, [[]], true, false, 0],
      { '10': 1, '9': 2, a: { c: { e: 1, d: 2 }, b: 3 } },
      'plain',
      42,
      null,
    ];
    for (const v of samples) expect(canonicalJson(v)).toBe(reference(v));
  });
});

describe('TokenBuckets', () => {
  it('allows the burst, then one per 1/rate seconds, per key', () => {
    const b = new TokenBuckets({ ratePerSec: 2, burst: 3 });
    expect([b.take('x', 0), b.take('x', 0), b.take('x', 0)]).toEqual([0, 0, 0]);
    expect(b.take('x', 0)).toBeGreaterThanOrEqual(1);
    expect(b.take('y', 0)).toBe(0);
    expect(b.take('x', 500)).toBe(0);
    expect(b.take('x', 500)).toBeGreaterThanOrEqual(1);
  });

  it('is off at rate 0 and bounds the number of keys it remembers', () => {
    expect(new TokenBuckets({ ratePerSec: 0, burst: 1 }).take('x', 0)).toBe(0);
    const b = new TokenBuckets({ ratePerSec: 1, burst: 1 }, 10);
    for (let i = 0; i < 100; i++) b.take(`k${i}`, i * 10_000);
    expect(b.size).toBeLessThanOrEqual(10);
  });
});

describe('effectiveStatus', () => {
  const base: Order = {
    orderId: 'o',
    promotionId: 'p',
    shopperId: 's',
    jti: 'j',
    holdId: 'h',
    status: 'held',
    lines: [],
    amountCents: 0,
    holdExpiresAt: 1_000,
    createdAt: 0,
    updatedAt: 0,
    version: 1,
  };
  it('shows a held order past its hold expiry as expired', () => {
    expect(effectiveStatus(base, 999)).toBe('held');
    expect(effectiveStatus(base, 1_000)).toBe('expired');
  });
  it('shows an abandoned confirm (nothing charged, nobody running) past expiry as expired, never a charged one', () => {
    expect(effectiveStatus({ ...base, status: 'confirming' }, 2_000)).toBe('expired');
    expect(effectiveStatus({ ...base, status: 'confirming', confirmingSince: 1_500 }, 2_000)).toBe('confirming');
    expect(effectiveStatus({ ...base, status: 'confirming', paymentReference: 'pay' }, 2_000)).toBe('confirming');
    expect(effectiveStatus({ ...base, status: 'confirmed' }, 2_000)).toBe('confirmed');
  });
});
