/**
 * At most one log line per key per interval; the next line that gets through carries how many were
 * dropped since the last one (`suppressed`). For expected failures that come in storms (a 503 per
 * request while a dependency is down): one line a second says as much as ten thousand, and logging
 * each one would take the CPU the service needs to recover. Keys must be bounded (a code, a status
 * and route pattern); past `maxKeys` distinct keys the table starts over.
 */
export class LogThrottle {
  private readonly keys = new Map<string, { last: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 1_000,
    private readonly maxKeys = 256,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `log(suppressed)` if this key has not logged within the interval; otherwise counts it. */
  run(key: string, log: (suppressed: number) => void): void {
    const t = this.now();
    const entry = this.keys.get(key);
    if (entry && t - entry.last < this.intervalMs && t >= entry.last) {
      entry.suppressed++;
      return;
    }
    if (!entry && this.keys.size >= this.maxKeys) this.keys.clear();
    this.keys.set(key, { last: t, suppressed: 0 });
    log(entry?.suppressed ?? 0);
  }
}
