import { describe, expect, it } from 'vitest';
import { type KeySchedule, planRotation, publishedKeys, signingKeyAt } from './signing-keys.js';

const policy = { publishAheadMs: 60_000, rotationMs: 24 * 3_600_000, retainMs: 3_660_000, clockSkewMs: 60_000 };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);
const key = (kid: string, activatesAt: number, retiresAt: number | null = null): KeySchedule => ({
  kid,
  createdAt: t(activatesAt - 60),
  activatesAt: t(activatesAt),
  retiresAt: retiresAt === null ? null : t(retiresAt),
});

describe('signing key schedule', () => {
  it('a first key signs at once, back-dated by the clock skew', () => {
    expect(planRotation([], t(0), policy)).toEqual({ activatesAt: t(-60), retire: [] });
  });

  it('nothing to do while the current key is young or a successor is pending', () => {
    expect(planRotation([key('a', 0)], t(3600), policy)).toBeUndefined();
    expect(planRotation([key('a', 0, 90_000), key('b', 86_400)], t(86_350), policy, true)).toBeUndefined();
  });

  it('the successor is published publish-ahead before the period ends, and fixes the predecessor’s retirement', () => {
    const plan = planRotation([key('a', 0)], t(86_340), policy);
    expect(plan).toEqual({ activatesAt: t(86_400), retire: [{ kid: 'a', retiresAt: t(86_400 + 3660) }] });
  });

  it('signs with the newest active key; publishes pending and not yet retired ones', () => {
    const keys = [key('a', 0, 90_060), key('b', 86_400)];
    expect(signingKeyAt(keys, t(86_399))?.kid).toBe('a');
    expect(signingKeyAt(keys, t(86_400))?.kid).toBe('b');
    expect(publishedKeys(keys, t(86_000)).map((k) => k.kid)).toEqual(['a', 'b']);
    expect(publishedKeys(keys, t(90_060)).map((k) => k.kid)).toEqual(['b']);
  });
});
