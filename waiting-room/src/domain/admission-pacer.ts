/**
 * Paces admissions at a configured rate from the real elapsed time (not the timer period, which
 * drifts): each step is allowed floor(rate × elapsed + carry). When fewer are admitted than allowed
 * (line empty, cap reached, paused) the shortfall is dropped, so a stall never turns into a burst.
 */
export class AdmissionPacer {
  private last: number | undefined;
  private carry = 0;

  constructor(private readonly maxStepMs = 1_000) {}

  /** How many may be admitted now. */
  allowance(nowMs: number, ratePerSec: number): number {
    const elapsed = this.last === undefined ? 0 : Math.min(Math.max(0, nowMs - this.last), this.maxStepMs);
    this.last = nowMs;
    const budget = (ratePerSec * elapsed) / 1000 + this.carry;
    const n = Math.floor(budget);
    this.carry = budget - n;
    return n;
  }

  /** Reports how many were actually admitted out of `allowed`. */
  settle(allowed: number, admitted: number): void {
    if (admitted < allowed) this.carry = Math.min(this.carry, 1);
  }

  reset(): void {
    this.last = undefined;
    this.carry = 0;
  }
}

/** Admissions per second measured over a sliding window of one-second buckets. */
export class RateMeter {
  private readonly buckets = new Map<number, number>();
  private readonly startedAt: number;

  constructor(
    private readonly windowSec = 10,
    now = Date.now(),
  ) {
    this.startedAt = now;
  }

  record(count: number, nowMs: number): void {
    if (count <= 0) return;
    const sec = Math.floor(nowMs / 1000);
    this.buckets.set(sec, (this.buckets.get(sec) ?? 0) + count);
  }

  /** Over the last `windowSec` whole seconds (the current, partial second is left out). */
  rate(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    let total = 0;
    for (const [s, c] of this.buckets) {
      if (s < sec - this.windowSec) this.buckets.delete(s);
      else if (s < sec) total += c;
    }
    const spanSec = Math.min(this.windowSec, Math.max(1, sec - Math.floor(this.startedAt / 1000)));
    return Math.round((total / spanSec) * 100) / 100;
  }
}
