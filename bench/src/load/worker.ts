/**
 * Entry point of a load worker process (child_process.fork). It receives its plan, plays its share
 * of the shoppers (global indexes i with i % workerCount === workerIndex, so every worker sees the
 * same arrival pattern), reports cumulative counters every second and, when all its shoppers are
 * done or the deadline passes, one final message with histograms and per-shopper records.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { closeAgents } from './http.js';
import { isLoopbackUrl, sourceAddress } from './addresses.js';
import {
  emptyCounters,
  HISTOGRAM_NAMES,
  type FinalMessage,
  type HistogramName,
  type ParentMessage,
  type StatsMessage,
  type WorkerPlan,
} from './messages.js';
import { leanWsTarget, type LeanWsTarget } from './lean-ws.js';
import { Shopper, type ShopperContext } from './shopper.js';
import { encodeHistogram, newHistogram, recordMs, type Histogram } from '../stats/latency.js';

function arrivalAt(plan: WorkerPlan, i: number): number {
  if (i < plan.prequeue) return plan.prequeueStartAt + (plan.prequeue > 1 ? (i / (plan.prequeue - 1)) * plan.prequeueSpreadMs : 0);
  return plan.openAt + ((i - plan.prequeue) / Math.max(0.001, plan.arrivalRatePerSec)) * 1000;
}

function run(plan: WorkerPlan): void {
  const histograms = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<HistogramName, Histogram>;
  const counters = emptyCounters();
  let finishedCount = 0;
  let done = false;
  const ctx: ShopperContext = {
    plan,
    counters,
    histograms,
    admissions: [],
    confirmedHolds: [],
    heldOrders: [],
    tokens: [],
    errorSamples: [],
    ticks: plan.waitingRoomUrls.map(() => ({ raw: null, frame: null })),
    queue: { view: null },
    onFinished: () => {
      finishedCount++;
      if (finishedCount >= shoppers.length) void finish();
    },
  };
  const loopback = plan.waitingRoomUrls.every(isLoopbackUrl) && plan.gatewayUrls.every(isLoopbackUrl);
  const shoppers: Shopper[] = [];
  const wsTargets = plan.waitingRoomUrls.map((u) => leanWsTarget(`${u}/queue/${encodeURIComponent(plan.promotionId)}/ws`));
  for (let i = plan.workerIndex; i < plan.shoppers; i += plan.workerCount) {
    const node = i % plan.waitingRoomUrls.length;
    const wsTarget = wsTargets[node] as LeanWsTarget;
    const gatewayUrl = plan.gatewayUrls[i % Math.max(1, plan.gatewayUrls.length)] ?? '';
    const addr = plan.sourceAddresses && loopback ? sourceAddress(i, plan.connectionsPerAddress) : undefined;
    shoppers.push(new Shopper(i, i < plan.prequeue, wsTarget, gatewayUrl, node, addr, ctx));
  }
  const arrivals = shoppers.map((s) => arrivalAt(plan, s.index));
  let next = 0;
  // How late the launcher issued arrivals (its event loop busy with sockets): reported, and counted in join latency.
  let launchLagMaxMs = 0;
  const launcher = setInterval(() => {
    const now = Date.now();
    while (next < shoppers.length && (arrivals[next] ?? 0) <= now) {
      const at = arrivals[next] ?? now;
      if (now - at > launchLagMaxMs) launchLagMaxMs = now - at;
      shoppers[next++]?.arrive(at);
    }
    if (next >= shoppers.length) clearInterval(launcher);
  }, 5);

  // Staleness: the age of the newest update a waiting shopper holds, sampled on random shoppers.
  let positionRegressions = 0;
  const sampler = setInterval(() => {
    const now = Date.now();
    let taken = 0;
    for (let tries = 0; tries < plan.stalenessSamplesPerSec * 4 && taken < plan.stalenessSamplesPerSec && shoppers.length > 0; tries++) {
      const s = shoppers[Math.floor(Math.random() * shoppers.length)];
      if (s?.phase !== 'waiting' || s.lastAt === 0) continue;
      recordMs(histograms.staleness, Math.max(0, now - s.lastAt));
      if (!s.checkPosition()) positionRegressions++;
      taken++;
    }
  }, 1000);

  const report = () => {
    const msg: StatsMessage = {
      type: 'stats',
      workerIndex: plan.workerIndex,
      at: Date.now(),
      counters: { ...counters, byStatus: { ...counters.byStatus } },
      queue: ctx.queue.view,
      rssBytes: process.memoryUsage.rss(),
      loopLagP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
    };
    process.send?.(msg);
  };
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const reporter = setInterval(() => {
    report();
    loopDelay.reset();
  }, 1000);
  const deadline = setTimeout(() => void finish(), Math.max(0, plan.deadlineAt - Date.now()));

  async function finish(): Promise<void> {
    if (done) return;
    done = true;
    clearInterval(launcher);
    clearInterval(sampler);
    clearInterval(reporter);
    clearTimeout(deadline);
    for (const s of shoppers) {
      // Where the deadline found each unfinished shopper: still in line, or between admission and a final answer.
      if (s.phase === 'waiting' || s.phase === 'connecting') counters.inLineAtEnd++;
      else if (s.phase === 'admitted') counters.midOrderAtEnd++;
      s.stop();
    }
    report();
    if (positionRegressions > 0) ctx.errorSamples.push(`${positionRegressions} sampled positions moved backwards`);
    if (launchLagMaxMs > 100)
      ctx.errorSamples.push(`arrivals were issued up to ${launchLagMaxMs} ms after their planned time (load generator busy)`);
    const final: FinalMessage = {
      type: 'final',
      workerIndex: plan.workerIndex,
      counters,
      histograms: Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, encodeHistogram(histograms[n])])) as Record<HistogramName, string>,
      admissions: ctx.admissions,
      confirmedHolds: ctx.confirmedHolds,
      heldOrders: ctx.heldOrders,
      tokens: ctx.tokens,
      errorSamples: ctx.errorSamples,
    };
    closeAgents();
    process.send?.(final, () => {
      process.disconnect();
      setTimeout(() => process.exit(0), 100).unref();
    });
  }

  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') void finish();
  });
  if (shoppers.length === 0) void finish();
}

process.once('message', (m: ParentMessage) => {
  if (m.type === 'plan') run(m.plan);
});
process.on('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
