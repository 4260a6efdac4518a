import { describe, expect, it } from 'vitest';
import { achievedRate, duplicateTickets, fairness, fairnessViolations } from './analysis.js';

describe('fairnessViolations', () => {
  it('counts nothing when admission follows ticket order', () => {
    expect(
      fairnessViolations(
        [
          [1, 1000],
          [2, 1000],
          [3, 2000],
          [4, 3000],
        ],
        0,
      ),
    ).toBe(0);
  });
  it('counts each shopper admitted before a smaller ticket, beyond the tolerance', () => {
    // ticket 3 admitted at 1000 while ticket 1 waited until 5000: 3 and 2 jumped the line.
    const admissions: Array<[number, number]> = [
      [1, 5000],
      [2, 1000],
      [3, 1000],
      [4, 6000],
    ];
    expect(fairnessViolations(admissions, 500)).toBe(2);
    expect(fairnessViolations(admissions, 5000)).toBe(0);
  });
  it('reports how late the most-jumped shopper was', () => {
    expect(
      fairness(
        [
          [1, 5000],
          [2, 1000],
          [3, 3000],
        ],
        500,
      ),
    ).toEqual({ violations: 2, worstMs: 4000 });
  });
  it('ignores shoppers whose ticket is unknown', () => {
    expect(
      fairnessViolations(
        [
          [-1, 9000],
          [1, 1000],
        ],
        0,
      ),
    ).toBe(0);
  });
});

describe('achievedRate', () => {
  it('is admissions per second between the first and last admission', () => {
    const admissions: Array<[number, number]> = Array.from({ length: 11 }, (_, i) => [i + 1, 1000 + i * 100]);
    expect(achievedRate(admissions).perSec).toBe(10);
  });
  it('is 0 with fewer than two admissions', () => {
    expect(achievedRate([[1, 5]]).perSec).toBe(0);
  });
});

it('duplicateTickets finds a ticket admitted twice', () => {
  expect(
    duplicateTickets([
      [1, 1],
      [2, 2],
      [2, 3],
      [-1, 4],
      [-1, 5],
    ]),
  ).toBe(1);
});
