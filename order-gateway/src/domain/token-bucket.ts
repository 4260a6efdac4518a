/**
 * In-process token buckets: a global one and one per key (shopper), lazily refilled. Kept in
 * process on purpose — the hot path gets no extra Redis round trip; with N gateway replicas the
 * effective limits are N times the configured ones (documented in README).
 */
export interface TokenBucketOptions {
  ratePerSec: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** ratePerSec 0 disables the limit. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(
    private readonly opts: TokenBucketOptions,
    maxKeys = 100_000,
  ) {
    this.maxKeys = maxKeys;
  }

  /** Takes one token for `key`; returns 0 when allowed, else seconds until a token is available. */
  take(key: string, nowMs: number): number {
    if (this.opts.ratePerSec <= 0) return 0;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(nowMs);
      b = { tokens: this.opts.burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + ((nowMs - b.at) / 1000) * this.opts.ratePerSec);
      b.at = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.ratePerSec));
  }

  /** Drops buckets that have refilled completely (they would behave the same as a fresh one). */
  private sweep(nowMs: number): void {
    const fullAfterMs = (this.opts.burst / this.opts.ratePerSec) * 1000;
    for (const [k, b] of this.buckets) if (nowMs - b.at >= fullAfterMs) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }

  get size(): number {
    return this.buckets.size;
  }
}
