import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Histogram, mergeEncoded, newHistogram } from '../stats/latency.js';
import {
  addCounters,
  emptyCounters,
  type FinalMessage,
  HISTOGRAM_NAMES,
  type HistogramName,
  type QueueView,
  type ShopperFindings,
  type WorkerCounters,
  type WorkerMessage,
  type WorkerPlan,
} from './messages.js';

/**
 * The parent's side of the load: forks the workers (each holds well under the 20,000 open files a
 * process may have here), hands each its plan, keeps their latest counters and merges their finals.
 */
export interface PoolResult extends ShopperFindings {
  /** Peak of the sum of open sockets over all workers, as seen at each one-second report. */
  connectedPeak: number;
  histograms: Record<HistogramName, Histogram>;
  workerRssPeakBytes: number;
  loopLagPeakMs: number;
  workersLost: number;
  workersLostReasons: string[];
}

export interface PoolSnapshot {
  counters: WorkerCounters;
  queue: QueueView | null;
  workerRssBytes: number;
  /** Worst worker's event-loop p99 delay over the last second. */
  loopLagP99Ms: number;
}

/** The built worker, found from the package root so the pool works from src (vitest) and dist alike. */
export function benchRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const WORKER_JS = join(benchRoot(), 'dist', 'load', 'worker.js');

const live = new Set<LoadPool>();

/** Kills every running pool's workers (Ctrl-C / SIGTERM on the CLI). */
export function killAllPools(): void {
  for (const p of live) p.kill();
}

export class LoadPool {
  private readonly children: ChildProcess[] = [];
  private readonly latest = new Map<number, WorkerCounters>();
  private readonly finals = new Map<number, FinalMessage>();
  private readonly rss = new Map<number, number>();
  private queue: QueueView | null = null;
  private peak = 0;
  private rssPeak = 0;
  private lagPeak = 0;
  private readonly lag = new Map<number, number>();
  private lost = 0;
  private killed = false;
  private readonly lostReasons: string[] = [];
  readonly done: Promise<PoolResult>;

  constructor(plans: WorkerPlan[]) {
    const exits: Array<Promise<void>> = [];
    for (const plan of plans) {
      // The worker runs from dist (built JS) even under vitest, so it is plain node, not the test's transform.
      const child = fork(WORKER_JS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      this.children.push(child);
      child.on('message', (m: WorkerMessage) => this.onMessage(m));
      exits.push(
        new Promise((resolve) =>
          // 'close', not 'exit': 'exit' can come before the last IPC messages are read, and a worker whose
          // big final message was still in the channel was then counted lost (a 100,000-shopper run, 05:11).
          child.once('close', (code, signal) => {
            if (!this.finals.has(plan.workerIndex)) {
              this.lost++;
              // SIGKILL from the parent means the worker missed its deadline by 30 s (event loop starved).
              this.lostReasons.push(
                `worker ${plan.workerIndex}: exit ${signal ?? code}${this.killed ? ' (killed by the bench after its deadline)' : ''}`,
              );
            }
            resolve();
          }),
        ),
      );
      child.send({ type: 'plan', plan });
    }
    live.add(this);
    this.done = Promise.all(exits).then(() => {
      live.delete(this);
      return this.result();
    });
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'stats') {
      this.latest.set(m.workerIndex, m.counters);
      this.rss.set(m.workerIndex, m.rssBytes);
      this.lag.set(m.workerIndex, m.loopLagP99Ms);
      if (m.loopLagP99Ms > this.lagPeak) this.lagPeak = m.loopLagP99Ms;
      if (m.queue && (!this.queue || m.queue.at >= this.queue.at)) this.queue = m.queue;
      const s = this.snapshot();
      if (s.counters.open > this.peak) this.peak = s.counters.open;
      if (s.workerRssBytes > this.rssPeak) this.rssPeak = s.workerRssBytes;
    } else {
      this.latest.set(m.workerIndex, m.counters);
      this.finals.set(m.workerIndex, m);
    }
  }

  snapshot(): PoolSnapshot {
    const counters = emptyCounters();
    for (const c of this.latest.values()) addCounters(counters, c);
    let rss = 0;
    for (const r of this.rss.values()) rss += r;
    return { counters, queue: this.queue, workerRssBytes: rss, loopLagP99Ms: Math.max(0, ...this.lag.values()) };
  }

  pids(): number[] {
    return this.children.map((c) => c.pid ?? -1).filter((p) => p > 0);
  }

  stop(): void {
    for (const c of this.children) if (c.connected) c.send({ type: 'stop' });
  }

  kill(): void {
    this.killed = true;
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }

  private result(): PoolResult {
    const counters = emptyCounters();
    const histograms = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<HistogramName, Histogram>;
    const r: PoolResult = {
      counters,
      connectedPeak: 0,
      histograms,
      admissions: [],
      confirmedHolds: [],
      heldOrders: [],
      tokens: [],
      errorSamples: [],
      workerRssPeakBytes: this.rssPeak,
      loopLagPeakMs: this.lagPeak,
      workersLost: this.lost,
      workersLostReasons: this.lostReasons,
    };
    for (const c of this.latest.values()) addCounters(counters, c);
    for (const f of this.finals.values()) {
      for (const n of HISTOGRAM_NAMES) mergeEncoded(histograms[n], f.histograms[n]);
      for (const a of f.admissions) r.admissions.push(a);
      for (const h of f.confirmedHolds) r.confirmedHolds.push(h);
      for (const h of f.heldOrders) r.heldOrders.push(h);
      for (const t of f.tokens) r.tokens.push(t);
      for (const e of f.errorSamples) if (r.errorSamples.length < 30) r.errorSamples.push(`worker ${f.workerIndex}: ${e}`);
    }
    r.connectedPeak = Math.max(this.peak, this.latest.size === 1 ? counters.openPeak : 0);
    return r;
  }
}
