import { randomUUID } from 'node:crypto';
import { auditSale, type SaleAudit } from '../checks/postgres.js';
import type { AbusePlan } from '../load/abuse-worker.js';
import { isLoopbackUrl } from '../load/addresses.js';
import { achievedRate, fairnessViolations } from '../stats/analysis.js';
import { histogramBins, mergeEncoded, newHistogram, summarize } from '../stats/latency.js';
import { benchPromotion, createPromotion, hotSkus, schedule } from '../target/admin.js';
import { abuseCases } from './abuse-cases.js';
import { type LegitRecord, legitOrder, runAbuseWorker, stockView } from './abuse-support.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';
import { forgeTokens } from './forged-tokens.js';
import { runShopperLoad } from './harness.js';

/**
 * Hostile traffic at a high rate beside legitimate orders. Legitimate shoppers queue for real to
 * get admission tokens; half of them order before the abuse (baseline latency), half during it.
 * Afterwards: every hostile request must have been rejected with the right status, the stock must
 * have moved by exactly the legitimate orders, and Postgres must hold only legitimate orders.
 */
export async function runGatewayAbuse(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { opts, targets } = ctx;
  const wr = targets.waitingRoomUrls[0] ?? '';
  const gw = targets.gatewayUrls[0];
  if (!gw) throw new Error('gateway-abuse needs an order-gateway URL');
  const skus = hotSkus(opts.skus);
  const now = Date.now();
  const times = schedule(now, 1_500, opts.durationSeconds * 1000 + 300_000);
  const mk = (suffix: string) =>
    createPromotion(
      wr,
      targets.adminToken,
      benchPromotion(`bench-abuse-${suffix}-${now.toString(36)}`, `bench gateway-abuse ${suffix}`, times, skus, opts),
    );
  const promotion = await mk('a');
  const other = await mk('b');
  ctx.log(
    `promotions ${promotion.id} (target) and ${other.id} (cross-promotion replay); queueing ${opts.shoppers} legitimate shoppers for tokens`,
  );
  const pool = await runShopperLoad(ctx, {
    promotionId: promotion.id,
    openAt: times.windowStartMs,
    prequeueStartAt: now,
    prequeueSpreadMs: 0,
    deadlineAt: times.windowStartMs + 60_000,
    order: false,
    keepTokens: true,
    skus,
    prequeue: 0,
  });
  const tokens = pool.tokens;
  if (tokens.length < 2)
    throw new Error(`only ${tokens.length} legitimate admission tokens obtained (need ≥ 2): ${pool.errorSamples.join('; ')}`);
  const jwks = (await fetch(`${wr}/.well-known/jwks.json`).then((r) => r.json())) as { keys?: Array<{ kid?: string }> };
  const realJwk = jwks.keys?.[0];
  // A few shoppers lend their real tokens to the hostile requests (body, replay and promotion checks
  // need a valid signature); rotating over several keeps per-shopper rate limits from hiding the answers.
  const lenders = tokens.slice(0, Math.max(1, Math.min(8, Math.floor(tokens.length / 4))));
  const orderers = tokens.slice(lenders.length);
  const legit = lenders[0] as { shopperId: string; token: string };
  const forged = await forgeTokens({ promotionId: promotion.id, realKid: realJwk?.kid, realJwk, legitToken: legit.token });

  const stockBefore = await stockView(gw, promotion.id);
  // Half the legitimate shoppers order before the abuse (baseline), the other half during it.
  const baseline = newHistogram();
  const underAbuse = newHistogram();
  const legitRecord: LegitRecord = { held: [], confirmed: [], outcomes: {}, unanswered: 0, keys: [] };
  const half = Math.max(1, Math.floor(orderers.length / 2));
  const spacingMs = Math.max(5, Math.floor((opts.durationSeconds * 1000) / Math.max(1, orderers.length - half + 1)));
  ctx.progress.line = `baseline: ${half} legitimate orders`;
  const baselineStarted = Date.now();
  for (const t of orderers.slice(0, half)) await legitOrder(gw, promotion.id, skus, t, baseline, legitRecord, opts.requestTimeoutMs);
  const baselineMs = Date.now() - baselineStarted;
  const notes: string[] = [];
  // One of the first legitimate orders gives the abuse its replayable idempotency key.
  const first = legitRecord.keys[0] ?? { key: randomUUID(), sku: skus[0] ?? 'HOT-1' };

  const cases = lenders
    .flatMap((lender, i) =>
      abuseCases({
        promotionId: promotion.id,
        otherPromotionId: other.id,
        sku: skus[0] ?? 'HOT-1',
        legit: lender,
        forged,
        replay: first,
      }).filter(
        // Token-only cases once; the cases that need a real token once per lender.
        (c) => i === 0 || c.headers.authorization === `Bearer ${lender.token}`,
      ),
    )
    // Without a legitimate order there is nothing to replay (a "replay" would be a fresh order).
    .filter((c) => legitRecord.keys.length > 0 || (!c.kind.startsWith('replayed-key') && c.kind !== 'replayed-same-request'));
  if (legitRecord.keys.length === 0)
    notes.push('no legitimate order was held before the abuse: the idempotency-key replay cases were not sent');
  const plan: AbusePlan = {
    gatewayUrl: gw,
    ratePerSec: opts.abuseRate,
    durationMs: opts.durationSeconds * 1000,
    timeoutMs: opts.requestTimeoutMs,
    maxInFlight: 512,
    localAddress: isLoopbackUrl(gw) ? '127.66.0.1' : undefined,
    cases,
  };
  ctx.log(
    `abuse: ${opts.abuseRate} requests/s for ${opts.durationSeconds} s over ${cases.length} kinds, ${tokens.length - half} legitimate orders beside it`,
  );
  const abuse = runAbuseWorker(plan);
  const abuseStarted = Date.now();
  const tick = setInterval(() => {
    ctx.progress.line = `[${((Date.now() - ctx.startedAt) / 1000).toFixed(0).padStart(4)}s] abuse running; legit held ${legitRecord.held.length} confirmed ${legitRecord.confirmed.length}`;
    ctx.timeline.push({
      t: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      connected: 0,
      waiting: 0,
      queueLength: null,
      admitted: tokens.length,
      admittedPerSec: 0,
      ordersAttempted: legitRecord.held.length,
      ordersPerSec: 0,
      errors: legitRecord.unanswered,
      servers: ctx.watcher
        .sample()
        .map((s) => ({ name: s.name, rssMb: Math.round(s.rssBytes / 1024 / 102.4) / 10, cpuPercent: s.cpuPercent })),
      loadRssMb: 0,
      loadLagMs: 0,
    });
  }, 1000);
  const during = orderers.slice(half).map(async (t, i) => {
    await new Promise((r) => setTimeout(r, i * spacingMs));
    await legitOrder(gw, promotion.id, skus, t, underAbuse, legitRecord, opts.requestTimeoutMs);
  });
  await Promise.all(during);
  const abuseResult = await abuse;
  clearInterval(tick);
  ctx.log(`abuse done after ${((Date.now() - abuseStarted) / 1000).toFixed(1)} s`);
  const stockAfter = await stockView(gw, promotion.id);

  let audit: SaleAudit | null = null;
  notes.push(
    'forged tokens are signed with a key of the bench (under the real kid): expired / wrong-audience / wrong-issuer are rejected by signature before their claims are looked at; `tampered` keeps the real signature over edited claims',
  );
  if (targets.databaseUrl) {
    try {
      audit = await auditSale({
        databaseUrl: targets.databaseUrl,
        schema: opts.inventorySchema,
        promotionId: promotion.id,
        stockBySku: Object.fromEntries(skus.map((s) => [s, opts.stock])),
        confirmedHolds: legitRecord.confirmed,
        heldOrders: legitRecord.held,
        drainMs: opts.drainSeconds * 1000,
      });
    } catch (err) {
      notes.push(`Postgres audit failed: ${(err as Error).message}`);
    }
  } else notes.push('no DATABASE_URL: Postgres was not checked');

  const stockConsumed = stockBefore !== null && stockAfter !== null ? stockBefore.available - stockAfter.available : null;
  // Stock taken by anything but the legitimate holds (held, then confirmed or released) = touched by abuse.
  const legitHolding = legitRecord.held.length - (legitRecord.outcomes['402'] ?? 0) - (legitRecord.outcomes.HOLD_EXPIRED ?? 0);
  const stockTouched = stockConsumed === null ? null : stockConsumed - legitHolding;
  const perKind = abuseResult?.perKind ?? {};
  const totals = Object.values(perKind).reduce(
    (a, k) => ({
      sent: a.sent + k.sent,
      right: a.right + k.right,
      wrong: a.wrong + k.wrong,
      unanswered: a.unanswered + k.unanswered,
      rateLimited: a.rateLimited + k.rateLimited,
    }),
    { sent: 0, right: 0, wrong: 0, unanswered: 0, rateLimited: 0 },
  );
  const abuseLatency = newHistogram();
  if (abuseResult) mergeEncoded(abuseLatency, abuseResult.latency);
  const b = summarize(baseline);
  const u = summarize(underAbuse);
  const all = newHistogram();
  all.add(baseline);
  all.add(underAbuse);
  const ordersSummary = summarize(all);
  const results = {
    promotionId: promotion.id,
    shoppers: opts.shoppers,
    connectedPeak: pool.connectedPeak,
    joinLatencyMs: summarize(pool.histograms.join),
    positionStalenessMs: summarize(pool.histograms.staleness),
    admission: { configuredPerSec: opts.admissionRate, achievedPerSec: achievedRate(pool.admissions).perSec },
    fairnessViolations: fairnessViolations(pool.admissions, opts.fairnessToleranceMs),
    abuse: {
      configuredPerSec: opts.abuseRate,
      achievedPerSec: Math.round((totals.sent / opts.durationSeconds) * 10) / 10,
      ...totals,
      skippedAtCapacity: abuseResult?.skippedAtCapacity ?? null,
      perKind,
      latencyMs: summarize(abuseLatency),
      wrongSamples: abuseResult?.wrongSamples ?? [],
    },
    legitimate: {
      tokens: tokens.length,
      baselineLatencyMs: b,
      underAbuseLatencyMs: u,
      p99Ratio: b.p99 > 0 ? Math.round((u.p99 / b.p99) * 100) / 100 : null,
      outcomes: legitRecord.outcomes,
      unanswered: legitRecord.unanswered,
    },
    stock: {
      before: stockBefore,
      after: stockAfter,
      consumed: stockConsumed,
      legitimateHolding: legitHolding,
      touchedByAbuse: stockTouched,
    },
    orders: {
      attempted:
        legitRecord.held.length +
        Object.entries(legitRecord.outcomes)
          .filter(([k]) => k !== '201' && k !== '200' && k !== '402' && k !== 'HOLD_EXPIRED')
          .reduce((a, [, n]) => a + n, 0),
      held: legitRecord.held.length,
      confirmed: legitRecord.confirmed.length,
      soldOut: legitRecord.outcomes.SOLD_OUT ?? 0,
      rejected: Object.entries(legitRecord.outcomes)
        .filter(([k]) => /^4\d\d$/.test(k) && k !== '402')
        .reduce((a, [, n]) => a + n, 0),
      errors:
        legitRecord.unanswered +
        Object.entries(legitRecord.outcomes)
          .filter(([k]) => /^5\d\d$/.test(k))
          .reduce((a, [, n]) => a + n, 0),
      // Legitimate orders per second while they were being placed one after another (the baseline).
      throughputPerSec: baselineMs > 0 ? Math.round((half / baselineMs) * 1000 * 10) / 10 : 0,
      latencyMs: ordersSummary,
    },
    oversold: audit?.oversold ?? null,
    lostOrders: audit?.lostOrders ?? null,
    duplicateOrders: audit?.duplicateOrders ?? null,
    unexpectedOrders: audit?.unexpectedOrders ?? null,
    audit,
    servers: ctx.watcher.summary().filter((s) => !s.name.startsWith('bench ')),
    load: { processes: ctx.watcher.summary().filter((s) => s.name.startsWith('bench ')) },
  };
  const invariants: ScenarioOutcome['invariants'] = [
    { name: 'abuse worker reported', ok: abuseResult !== null, detail: abuseResult ? 'yes' : 'worker died' },
    { name: 'abuse was sent', ok: totals.sent > 0, detail: `${totals.sent} requests` },
    { name: 'every hostile request answered', ok: totals.unanswered === 0, detail: `${totals.unanswered} unanswered` },
    {
      name: 'every hostile request rejected with the right status',
      ok: totals.wrong === 0,
      detail: `${totals.wrong} wrong (${totals.rateLimited} rate-limited with 429, counted as rejected)`,
    },
    { name: 'every legitimate order answered', ok: legitRecord.unanswered === 0, detail: `${legitRecord.unanswered} unanswered` },
    {
      name: 'legitimate orders went through',
      ok: legitRecord.held.length > 0,
      detail: `${legitRecord.held.length} held, ${legitRecord.confirmed.length} confirmed`,
    },
    {
      name: 'stock moved by exactly the legitimate orders',
      ok: stockTouched === 0,
      detail: `touched by abuse: ${stockTouched ?? 'unknown (stock endpoint unreadable)'}`,
    },
    {
      name: 'Postgres holds only legitimate orders',
      ok: audit !== null && audit.unexpectedOrders === 0 && audit.duplicateOrders === 0,
      detail: audit ? `unexpected ${audit.unexpectedOrders}, duplicates ${audit.duplicateOrders}` : 'not checked',
    },
    {
      name: 'oversold = 0 and lost orders = 0',
      ok: audit?.oversold === 0 && audit?.lostOrders === 0,
      detail: `oversold ${audit?.oversold ?? '?'}, lost ${audit?.lostOrders ?? '?'}`,
    },
  ];
  return {
    results,
    invariants,
    charts: [
      { title: 'Legitimate order latency, baseline (ms)', bins: histogramBins(baseline) },
      { title: 'Legitimate order latency, under abuse (ms)', bins: histogramBins(underAbuse) },
      { title: 'Hostile request latency (ms)', bins: histogramBins(abuseLatency) },
    ],
    notes,
  };
}
