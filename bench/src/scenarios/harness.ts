import { LoadPool, type PoolResult } from '../load/pool.js';
import type { WorkerCounters, WorkerPlan } from '../load/messages.js';
import type { ScenarioContext } from './context.js';

/**
 * Runs a shopper load over worker processes and records the one-second timeline (connections,
 * queue, admissions, orders, errors, server RSS/CPU) that the progress line and the charts use.
 */
export interface ShopperLoad {
  promotionId: string;
  openAt: number;
  prequeueStartAt: number;
  prequeueSpreadMs: number;
  deadlineAt: number;
  order: boolean;
  keepTokens: boolean;
  skus: string[];
  shoppers?: number;
  prequeue?: number;
}

export const SHOPPERS_PER_WORKER = 15_000;

export function errorCount(c: WorkerCounters): number {
  // `errors` already counts unanswered order requests.
  return c.connectErrors + c.failed + c.serverErrors + c.errors;
}

export async function runShopperLoad(ctx: ScenarioContext, load: ShopperLoad): Promise<PoolResult> {
  const { opts, targets } = ctx;
  const shoppers = load.shoppers ?? opts.shoppers;
  const workerCount = Math.max(1, Math.min(shoppers, opts.workers ?? Math.ceil(shoppers / SHOPPERS_PER_WORKER)));
  const plans: WorkerPlan[] = Array.from({ length: workerCount }, (_, workerIndex) => ({
    workerIndex,
    workerCount,
    shoppers,
    prequeue: load.prequeue ?? opts.prequeue,
    prequeueStartAt: load.prequeueStartAt,
    prequeueSpreadMs: load.prequeueSpreadMs,
    openAt: load.openAt,
    arrivalRatePerSec: opts.arrivalRate,
    deadlineAt: load.deadlineAt,
    promotionId: load.promotionId,
    waitingRoomUrls: targets.waitingRoomUrls.map((u) => u.replace(/^http/, 'ws')),
    gatewayUrls: targets.gatewayUrls,
    skus: load.skus,
    order: load.order,
    keepTokens: load.keepTokens,
    sourceAddresses: true,
    connectionsPerAddress: opts.perAddress,
    stalenessSamplesPerSec: Math.max(20, Math.ceil(200 / workerCount)),
    requestTimeoutMs: opts.requestTimeoutMs,
    maxReconnects: 3,
  }));
  ctx.log(`${shoppers} shoppers over ${workerCount} worker process(es), ${targets.waitingRoomUrls.length} waiting-room node(s)`);
  const pool = new LoadPool(plans);
  // The load generator's own CPU and RSS go in the report too: a saturated bench would explain slow answers.
  for (const [i, pid] of pool.pids().entries()) ctx.watcher.add(pid, `bench load worker ${i}`);
  watchLoad(ctx, pool);
  // Workers stop by their deadline; this is the backstop if one hangs.
  const backstop = setTimeout(() => pool.kill(), Math.max(0, load.deadlineAt - Date.now()) + 30_000 + shoppers);
  try {
    return await pool.done;
  } finally {
    clearTimeout(backstop);
    stopWatching(ctx);
  }
}

let ticker: NodeJS.Timeout | null = null;

function watchLoad(ctx: ScenarioContext, pool: LoadPool): void {
  let prevAdmitted = 0;
  let prevAnswered = 0;
  ticker = setInterval(() => {
    const snap = pool.snapshot();
    const c = snap.counters;
    const answered = Object.values(c.byStatus).reduce((a, b) => a + b, 0);
    const servers = ctx.watcher
      .sample()
      .map((s) => ({ name: s.name, rssMb: Math.round(s.rssBytes / 1024 / 102.4) / 10, cpuPercent: s.cpuPercent }));
    const t = Math.round((Date.now() - ctx.startedAt) / 100) / 10;
    ctx.timeline.push({
      t,
      connected: c.open,
      waiting: c.waiting,
      // Only a fresh tick tells the queue length: once every shopper has left, the last one seen is stale.
      queueLength: snap.queue && Date.now() - snap.queue.at < 3_000 ? snap.queue.waiting : null,
      admitted: c.admitted,
      admittedPerSec: c.admitted - prevAdmitted,
      ordersAttempted: c.ordersAttempted,
      ordersPerSec: answered - prevAnswered,
      errors: errorCount(c),
      servers,
      loadRssMb: Math.round(snap.workerRssBytes / 1024 / 102.4) / 10,
      loadLagMs: snap.loopLagP99Ms,
    });
    prevAdmitted = c.admitted;
    prevAnswered = answered;
    ctx.progress.line =
      `[${t.toFixed(0).padStart(4)}s] arrived ${c.arrived} connected ${c.open} waiting ${c.waiting} admitted ${c.admitted} ` +
      `orders ${c.ordersAttempted} (held ${c.held}, confirmed ${c.confirmed}) errors ${errorCount(c)}`;
  }, 1000);
}

function stopWatching(_ctx: ScenarioContext): void {
  if (ticker) clearInterval(ticker);
  ticker = null;
}
