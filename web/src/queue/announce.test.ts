import { describe, expect, it } from 'vitest';
import { shouldAnnounce } from './announce.js';

describe('shouldAnnounce (queue page live region pace)', () => {
  it('announces the first position and every state change at once', () => {
    expect(shouldAnnounce(null, 120, 'waiting', 0)).toBe(true);
    expect(shouldAnnounce({ position: 120, state: 'waiting', at: 0 }, 119, 'paused', 100)).toBe(true);
  });

  it('stays quiet between announcements far from the front, speaks again after 30 s', () => {
    const prev = { position: 500, state: 'waiting', at: 0 };
    expect(shouldAnnounce(prev, 480, 'waiting', 10_000)).toBe(false);
    expect(shouldAnnounce(prev, 480, 'waiting', 30_000)).toBe(true);
    expect(shouldAnnounce(prev, 500, 'waiting', 60_000)).toBe(false);
  });

  it('speaks more often in the last ten places', () => {
    const prev = { position: 9, state: 'waiting', at: 0 };
    expect(shouldAnnounce(prev, 8, 'waiting', 4_000)).toBe(false);
    expect(shouldAnnounce(prev, 8, 'waiting', 5_000)).toBe(true);
  });
});
