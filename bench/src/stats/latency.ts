import hdr from 'hdr-histogram-js';

/**
 * Latency recording with HdrHistogram (pure-JS build, no WebAssembly): fixed memory whatever the
 * number of samples (100k shoppers × several figures each), 3 significant digits, and histograms
 * from worker processes merge exactly by adding counts, so the parent's percentiles are the true
 * percentiles of every sample rather than an average of per-worker percentiles. Values are
 * recorded in microseconds (integers) and reported in milliseconds.
 */
export type Histogram = ReturnType<typeof hdr.build>;

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  min: number;
}

const HIGHEST_US = 10 * 60 * 1_000_000; // 10 minutes: anything slower is clamped

export function newHistogram(): Histogram {
  return hdr.build({
    useWebAssembly: false,
    bitBucketSize: 32,
    autoResize: false,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(Math.min(HIGHEST_US, Math.max(0, us)));
}

const round = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0, min: 0 };
  return {
    count: h.totalCount,
    p50: round(h.getValueAtPercentile(50)),
    p90: round(h.getValueAtPercentile(90)),
    p99: round(h.getValueAtPercentile(99)),
    max: round(h.maxValue),
    mean: Math.round(h.mean) / 1000,
    min: round(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
  };
}

/** Compact form for IPC between worker processes and the parent. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function mergeEncoded(into: Histogram, encoded: string): void {
  const other = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(other);
  other.destroy();
}

/**
 * A drawable histogram: the latency distribution read off at 1,000 evenly spaced percentiles, then
 * binned on a log scale. Each percentile step stands for 0.1 % of the samples, which is all the
 * resolution a chart needs.
 */
export function histogramBins(h: Histogram, binCount = 40): Array<{ fromMs: number; toMs: number; share: number }> {
  if (h.totalCount === 0) return [];
  const values: number[] = [];
  for (let i = 0; i <= 1000; i++) values.push(h.getValueAtPercentile(Math.min(100, i / 10)) / 1000);
  const lo = Math.max(0.01, Math.min(...values.filter((v) => v > 0), h.maxValue / 1000));
  const hi = Math.max(lo * 1.01, h.maxValue / 1000);
  const ratio = (hi / lo) ** (1 / binCount);
  const bins = Array.from({ length: binCount }, (_, i) => ({ fromMs: lo * ratio ** i, toMs: lo * ratio ** (i + 1), share: 0 }));
  for (const v of values) {
    const i = v <= lo ? 0 : Math.min(binCount - 1, Math.floor(Math.log(v / lo) / Math.log(ratio)));
    const bin = bins[i];
    if (bin) bin.share += 1 / values.length;
  }
  return bins;
}
