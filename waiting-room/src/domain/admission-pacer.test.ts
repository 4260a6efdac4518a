import { describe, expect, it } from 'vitest';
import { AdmissionPacer, RateMeter } from './admission-pacer.js';

describe('AdmissionPacer', () => {
  it('allows rate × elapsed in total whatever the step jitter', () => {
    const pacer = new AdmissionPacer();
    let t = 0;
    let total = pacer.allowance(t, 7.5);
    for (let i = 0; i < 1_000; i++) {
      t += 60 + ((i * 37) % 90); // uneven timer periods
      const n = pacer.allowance(t, 7.5);
      pacer.settle(n, n);
      total += n;
    }
    expect(Math.abs(total - (7.5 * t) / 1000)).toBeLessThan(1);
  });

  it('does not turn a stall or a shortfall into a burst', () => {
    const pacer = new AdmissionPacer(1_000);
    pacer.allowance(0, 100);
    expect(pacer.allowance(60_000, 100)).toBe(100); // a 60 s stall allows one second's worth
    const n = pacer.allowance(60_500, 100);
    pacer.settle(n, 0); // nobody was admissible
    expect(pacer.allowance(60_600, 100)).toBeLessThanOrEqual(11);
  });
});

describe('RateMeter', () => {
  it('measures admissions per second over its window', () => {
    const m = new RateMeter(10, 0);
    for (let s = 0; s < 20; s++) m.record(5, s * 1000 + 500);
    expect(m.rate(20_000)).toBeCloseTo(5, 0);
    expect(new RateMeter(10, 0).rate(5_000)).toBe(0);
  });
});
