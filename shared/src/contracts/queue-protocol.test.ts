import { describe, expect, it } from 'vitest';
import { estimatedWaitSeconds, positionFromTick } from './queue-protocol.js';

describe('positionFromTick', () => {
  const noneGone = { from: 100, bucketSize: 10, counts: [] };

  it('counts the tickets between the head and mine when nobody left', () => {
    expect(positionFromTick(150, { admittedThrough: 100, gone: noneGone })).toBe(49);
    expect(positionFromTick(101, { admittedThrough: 100, gone: noneGone })).toBe(0);
    expect(positionFromTick(90, { admittedThrough: 100, gone: noneGone })).toBe(0);
  });

  it('subtracts whole buckets of leavers ahead of me', () => {
    // tickets 101..110 lost 3, 111..120 lost 10 (all), 121..130 lost 5
    const gone = { from: 100, bucketSize: 10, counts: [3, 10, 5] };
    expect(positionFromTick(131, { admittedThrough: 100, gone })).toBe(30 - 18);
  });

  it('pro-rates the bucket I am in', () => {
    const gone = { from: 100, bucketSize: 10, counts: [10] };
    expect(positionFromTick(106, { admittedThrough: 100, gone })).toBe(0);
  });
});

describe('estimatedWaitSeconds', () => {
  it('divides by the measured rate, and has no estimate at rate 0', () => {
    expect(estimatedWaitSeconds(1000, 100)).toBe(10);
    expect(estimatedWaitSeconds(5, 0)).toBeNull();
  });
});
