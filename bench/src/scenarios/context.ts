import type { BenchOptions } from '../options.js';
import type { ProcessWatcher } from '../stats/process-usage.js';
import type { Targets } from '../target/targets.js';

export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  connected: number;
  waiting: number;
  /** The server's own count of shoppers in line (newest tick any shopper received). */
  queueLength: number | null;
  admitted: number;
  admittedPerSec: number;
  ordersAttempted: number;
  /** Gateway responses (orders and confirmations) in the last second. */
  ordersPerSec: number;
  errors: number;
  servers: Array<{ name: string; rssMb: number; cpuPercent: number }>;
  loadRssMb: number;
  /** Worst load worker's event-loop p99 delay in the last second (ms). */
  loadLagMs: number;
}

export interface ScenarioContext {
  opts: BenchOptions;
  targets: Targets;
  log: (line: string) => void;
  timeline: TimelinePoint[];
  watcher: ProcessWatcher;
  startedAt: number;
  /** Set by the harness while a load runs: a one-line view for the progress display. */
  progress: { line: string };
}

export interface ScenarioOutcome {
  results: Record<string, unknown>;
  /** Invariants the run promises; the report lists each and the CLI exits non-zero if one fails. */
  invariants: Array<{ name: string; ok: boolean; detail: string }>;
  /** Latency distributions to draw in the HTML report (name → histogram bins). */
  charts: Array<{ title: string; bins: Array<{ fromMs: number; toMs: number; share: number }> }>;
  notes: string[];
}
