import { auditSale, type SaleAudit } from '../checks/postgres.js';
import type { PoolResult } from '../load/pool.js';
import { achievedRate, duplicateTickets, fairness as fairnessOf } from '../stats/analysis.js';
import { histogramBins, summarize } from '../stats/latency.js';
import { benchPromotion, createPromotion, hotSkus, schedule } from '../target/admin.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';
import { runShopperLoad } from './harness.js';

/**
 * queue-storm, order-rush and flash-sale are one story told with different emphasis: shoppers
 * pre-queue and arrive, wait, are admitted; with `order` they then race for the hot SKUs and
 * confirm, and the sale is audited in Postgres afterwards.
 */
export async function runSale(ctx: ScenarioContext, order: boolean): Promise<ScenarioOutcome> {
  const { opts, targets } = ctx;
  const skus = hotSkus(opts.skus);
  const stockBySku = Object.fromEntries(skus.map((s) => [s, opts.stock]));
  const now = Date.now();
  // Time enough for the burst to connect before the opening (a few thousand sockets a second here).
  const leadMs = (opts.prequeue > 0 ? (opts.prequeueSeconds ?? Math.max(2, Math.ceil(opts.prequeue / 1_500) + 1)) : 1.5) * 1000;
  const times = schedule(now, leadMs, opts.durationSeconds * 1000 + 120_000);
  const promotion = await createPromotion(
    targets.waitingRoomUrls[0] ?? '',
    targets.adminToken,
    benchPromotion(
      `bench-${opts.scenario}-${now.toString(36)}`,
      `bench ${opts.scenario} ${new Date(now).toISOString()}`,
      times,
      skus,
      opts,
    ),
  );
  ctx.log(`promotion ${promotion.id}: window opens in ${(leadMs / 1000).toFixed(1)} s, ${opts.prequeue} shoppers in the pre-queue`);
  const pool = await runShopperLoad(ctx, {
    promotionId: promotion.id,
    openAt: times.windowStartMs,
    prequeueStartAt: now + 200,
    prequeueSpreadMs: Math.max(0, leadMs - 1_200),
    deadlineAt: times.windowStartMs + opts.durationSeconds * 1000,
    order,
    keepTokens: false,
    skus,
  });
  let audit: SaleAudit | null = null;
  const notes: string[] = [];
  if (targets.databaseUrl) {
    ctx.log('auditing the sale in Postgres…');
    try {
      audit = await auditSale({
        databaseUrl: targets.databaseUrl,
        schema: opts.inventorySchema,
        promotionId: promotion.id,
        stockBySku,
        confirmedHolds: pool.confirmedHolds,
        heldOrders: pool.heldOrders,
        drainMs: opts.drainSeconds * 1000,
      });
    } catch (err) {
      notes.push(`Postgres audit failed: ${(err as Error).message}`);
    }
  } else notes.push('no DATABASE_URL: oversold / lost / duplicate orders were not checked');
  return saleOutcome(ctx, promotion.id, pool, audit, order, notes);
}

function saleOutcome(
  ctx: ScenarioContext,
  promotionId: string,
  pool: PoolResult,
  audit: SaleAudit | null,
  order: boolean,
  notes: string[],
): ScenarioOutcome {
  const { opts } = ctx;
  const c = pool.counters;
  const h = pool.histograms;
  const orderSummary = summarize(h.order);
  const orderSeconds = secondsWithOrders(ctx);
  const pacing = achievedRate(pool.admissions);
  const { violations: fairness, worstMs: fairnessWorstMs } = fairnessOf(pool.admissions, opts.fairnessToleranceMs);
  const dupTickets = duplicateTickets(pool.admissions);
  const unfinished = opts.shoppers - c.finished - c.failed - c.turnedAway;
  const results = {
    promotionId,
    shoppers: opts.shoppers,
    arrived: c.arrived,
    connectedPeak: pool.connectedPeak,
    admitted: c.admitted,
    turnedAway: c.turnedAway,
    failed: c.failed,
    unfinished,
    inLineAtEnd: c.inLineAtEnd,
    midOrderAtEnd: c.midOrderAtEnd,
    joinLatencyMs: summarize(h.join),
    timeToFirstPositionMs: summarize(h.firstPosition),
    admittedWithoutPosition: c.admittedWithoutPosition,
    positionStalenessMs: summarize(h.staleness),
    queueWaitMs: summarize(h.queueWait),
    admission: { configuredPerSec: opts.admissionRate, achievedPerSec: pacing.perSec, spanMs: pacing.spanMs, duplicateTickets: dupTickets },
    fairnessViolations: fairness,
    fairnessWorstMs: fairnessWorstMs,
    connections: {
      peak: pool.connectedPeak,
      reconnects: c.reconnects,
      connectErrors: c.connectErrors,
      dropped: c.droppedConnections,
      serverErrorFrames: c.serverErrors,
    },
    orders: {
      attempted: c.ordersAttempted,
      held: c.held,
      confirmed: c.confirmed,
      soldOut: c.soldOut,
      rejected: c.rejected,
      errors: c.errors,
      declined: c.declined,
      holdExpired: c.holdExpired,
      unavailable: c.unavailable,
      unanswered: c.unanswered,
      byStatus: c.byStatus,
      throughputPerSec: orderSeconds > 0 ? Math.round((orderSummary.count / orderSeconds) * 10) / 10 : 0,
      latencyMs: orderSummary,
      confirmLatencyMs: summarize(h.confirm),
    },
    oversold: audit?.oversold ?? null,
    lostOrders: audit?.lostOrders ?? null,
    duplicateOrders: audit?.duplicateOrders ?? null,
    unexpectedOrders: audit?.unexpectedOrders ?? null,
    ledgerMismatch: audit?.ledgerMismatch ?? null,
    audit,
    servers: ctx.watcher.summary().filter((s) => !s.name.startsWith('bench ')),
    load: {
      workers: Math.max(1, Math.min(opts.shoppers, opts.workers ?? Math.ceil(opts.shoppers / 15_000))),
      workerRssPeakMb: Math.round(pool.workerRssPeakBytes / 1024 / 102.4) / 10,
      eventLoopLagPeakMs: pool.loopLagPeakMs,
      workersLost: pool.workersLost,
      workersLostReasons: pool.workersLostReasons,
      processes: ctx.watcher.summary().filter((s) => s.name.startsWith('bench ')),
    },
    errorSamples: pool.errorSamples,
  };
  const invariants: ScenarioOutcome['invariants'] = [
    {
      name: 'every shopper was answered (none gave up, none cut off mid-order by the deadline)',
      ok: c.failed === 0 && c.midOrderAtEnd === 0,
      detail: `failed ${c.failed}, mid-order at the end ${c.midOrderAtEnd}, still in line at the end ${c.inLineAtEnd}`,
    },
    {
      name: 'admission follows arrival order',
      ok: fairness === 0,
      detail: `${fairness} violations (tolerance ${opts.fairnessToleranceMs} ms, worst ${fairnessWorstMs} ms)`,
    },
    { name: 'no ticket admitted twice', ok: dupTickets === 0, detail: `${dupTickets} duplicate tickets` },
    { name: 'no load worker lost', ok: pool.workersLost === 0, detail: `${pool.workersLost} lost ${pool.workersLostReasons.join('; ')}` },
  ];
  if (order) {
    invariants.push(
      { name: 'every order request answered', ok: c.unanswered === 0, detail: `${c.unanswered} unanswered` },
      { name: 'orders placed', ok: c.ordersAttempted > 0, detail: `${c.ordersAttempted} attempted` },
      {
        // Shoppers may still be in line at the end when every unit is held (admission waits for holds to
        // confirm or lapse); with stock never held they were simply not served in time.
        name: 'nobody left in line while stock was never held',
        ok: c.inLineAtEnd === 0 || c.held >= opts.skus * opts.stock,
        detail: `${c.inLineAtEnd} in line at the end; ${c.held} of ${opts.skus * opts.stock} units held`,
      },
      {
        name: 'the sale happened (stock was held)',
        ok: opts.stock === 0 || c.held > 0,
        detail: `${c.held} held; answers ${JSON.stringify(c.byStatus)}${pool.errorSamples[0] ? `, e.g. ${pool.errorSamples[0]}` : ''}`,
      },
      {
        name: 'Postgres audit ran and confirmed orders drained',
        ok: audit?.drained === true,
        detail: audit ? `drained in ${audit.drainedInMs} ms: ${audit.drained}` : 'not run',
      },
      { name: 'oversold = 0', ok: audit?.oversold === 0, detail: `oversold ${audit?.oversold ?? 'unknown'}` },
      { name: 'lost orders = 0', ok: audit?.lostOrders === 0, detail: `lost ${audit?.lostOrders ?? 'unknown'}` },
      { name: 'duplicate orders = 0', ok: audit?.duplicateOrders === 0, detail: `duplicates ${audit?.duplicateOrders ?? 'unknown'}` },
      { name: 'ledger agrees with order rows', ok: audit?.ledgerMismatch === 0, detail: `mismatch ${audit?.ledgerMismatch ?? 'unknown'}` },
    );
  } else {
    invariants.push({ name: 'every shopper admitted', ok: c.admitted === opts.shoppers, detail: `${c.admitted} of ${opts.shoppers}` });
  }
  const charts = [
    { title: 'Join latency (ms)', bins: histogramBins(h.join) },
    { title: 'Position staleness (ms)', bins: histogramBins(h.staleness) },
  ];
  if (order)
    charts.push(
      { title: 'Order latency (ms)', bins: histogramBins(h.order) },
      { title: 'Confirm latency (ms)', bins: histogramBins(h.confirm) },
    );
  return { results, invariants, charts, notes };
}

/** Seconds of the timeline during which order requests were being answered (at least 1). */
function secondsWithOrders(ctx: ScenarioContext): number {
  const active = ctx.timeline.filter((p) => p.ordersPerSec > 0);
  if (active.length === 0) return 0;
  return Math.max(1, (active[active.length - 1]?.t ?? 0) - (active[0]?.t ?? 0) + 1);
}
