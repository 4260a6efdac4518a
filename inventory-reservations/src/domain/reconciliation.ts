/**
 * Reconciliation compares, per SKU, what Redis says with what Postgres plus the live holds imply.
 * Pure: the adapter gathers the figures; this decides what drifted and what repair is safe.
 */
export interface Counters {
  available: number;
  held: number;
  confirmed: number;
}

export interface SkuFigures {
  sku: string;
  initial: number;
  observed: Counters & { initial: number };
  expected: Counters;
  /** False for a SKU the latest snapshot dropped: off sale, counters still kept for its live holds. */
  listed?: boolean;
}

export interface SkuDrift {
  sku: string;
  initial: number;
  observed: Counters;
  expected: Counters;
  /** observed.available − expected.available: > 0 could oversell, < 0 strands stock. */
  availableDrift: number;
  heldDrift: number;
  confirmedDrift: number;
  /** Postgres + pending + held exceed the initial stock: nothing to repair automatically. */
  oversold: boolean;
  /** Whether the counters were (or would be) rewritten to the expected values. */
  repaired: boolean;
  /** False when the latest snapshot no longer lists the SKU (its `available` cannot be sold). */
  listed: boolean;
}

export interface PromotionDrift {
  promotionId: string;
  skus: SkuDrift[];
  pendingPruned: number;
  pendingMissing: number;
}

export interface ReconcileReport {
  startedAt: string;
  finishedAt: string;
  repair: boolean;
  promotions: PromotionDrift[];
  drifted: number;
  oversold: number;
}

export function diffSku(f: SkuFigures, repair: boolean): SkuDrift {
  const expectedAvailable = Math.max(0, f.expected.available);
  const availableDrift = f.observed.available - expectedAvailable;
  const heldDrift = f.observed.held - f.expected.held;
  const confirmedDrift = f.observed.confirmed - f.expected.confirmed;
  const drifted = availableDrift !== 0 || heldDrift !== 0 || confirmedDrift !== 0 || f.observed.initial !== f.initial;
  return {
    sku: f.sku,
    initial: f.initial,
    observed: { available: f.observed.available, held: f.observed.held, confirmed: f.observed.confirmed },
    expected: { available: expectedAvailable, held: f.expected.held, confirmed: f.expected.confirmed },
    availableDrift,
    heldDrift,
    confirmedDrift,
    oversold: f.expected.available < 0,
    repaired: repair && drifted,
    listed: f.listed ?? true,
  };
}

export function isDrifted(d: SkuDrift): boolean {
  return d.availableDrift !== 0 || d.heldDrift !== 0 || d.confirmedDrift !== 0;
}

export function summarize(startedAt: Date, repair: boolean, promotions: PromotionDrift[]): ReconcileReport {
  const all = promotions.flatMap((p) => p.skus);
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    repair,
    promotions,
    drifted: all.filter(isDrifted).length,
    oversold: all.filter((s) => s.oversold).length,
  };
}
