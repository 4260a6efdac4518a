import pg from 'pg';

/**
 * The post-sale audit, read straight from inventory-reservations' tables (the source of truth):
 * `<schema>.stock_ledger` (initial and confirmed units per SKU) and `<schema>.orders` (one row per
 * confirmed hold, keyed by hold_id). Needs DATABASE_URL (or --database-url).
 */
export interface SaleAudit {
  /** Units confirmed beyond the stock, summed over SKUs (must be 0). */
  oversold: number;
  /** Holds the gateway confirmed to a shopper that have no order row (must be 0). */
  lostOrders: number;
  /** Order rows beyond one per shopper (each bench shopper buys at most once), plus repeated hold ids (must be 0). */
  duplicateOrders: number;
  /** Order rows for holds the bench never got a 201 for (a timed-out request that succeeded, or worse). */
  unexpectedOrders: number;
  /** Σ |ledger.confirmed − units in order rows| per SKU: the ledger and the orders disagree. */
  ledgerMismatch: number;
  orderRows: number;
  perSku: Array<{ sku: string; stock: number; ledgerInitial: number | null; ledgerConfirmed: number | null; unitsInOrders: number }>;
  drainedInMs: number;
  drained: boolean;
}

export async function auditSale(opts: {
  databaseUrl: string;
  schema: string;
  promotionId: string;
  stockBySku: Record<string, number>;
  confirmedHolds: Array<[string, string]>;
  heldOrders: Array<[string, string]>;
  drainMs: number;
}): Promise<SaleAudit> {
  const client = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'flashgate-bench' });
  await client.connect();
  try {
    const s = opts.schema;
    const started = Date.now();
    const expected = new Set(opts.confirmedHolds.map(([h]) => h));
    let rows: Array<{ hold_id: string; shopper_id: string; lines: Array<{ sku: string; quantity: number }> }> = [];
    let drained = false;
    let ledger: Array<{ sku: string; initial_stock: number; confirmed: number }> = [];
    // Confirmed orders reach Postgres asynchronously (JetStream → consumer), and confirmations still in
    // flight when the load stopped land a moment later: wait, bounded, until every hold confirmed to a
    // shopper has its row and the ledger's confirmed units equal the units in the order rows.
    for (;;) {
      // One snapshot for both tables: the consumer may commit between two separate reads.
      await client.query('begin isolation level repeatable read read only');
      try {
        rows = (await client.query(`select hold_id, shopper_id, lines from ${s}.orders where promotion_id = $1`, [opts.promotionId])).rows;
        ledger = (
          await client.query(`select sku, initial_stock, confirmed from ${s}.stock_ledger where promotion_id = $1`, [opts.promotionId])
        ).rows;
      } finally {
        await client.query('commit');
      }
      const have = new Set(rows.map((r) => r.hold_id));
      const unitsInRows = rows.reduce((a, r) => a + r.lines.reduce((b, l) => b + l.quantity, 0), 0);
      const ledgerConfirmed = ledger.reduce((a, l) => a + l.confirmed, 0);
      drained = [...expected].every((h) => have.has(h)) && unitsInRows === ledgerConfirmed;
      if (drained || Date.now() - started >= opts.drainMs) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const drainedInMs = Date.now() - started;

    const units = new Map<string, number>();
    for (const r of rows) for (const l of r.lines) units.set(l.sku, (units.get(l.sku) ?? 0) + l.quantity);
    const skus = new Set([...Object.keys(opts.stockBySku), ...units.keys(), ...ledger.map((l) => l.sku)]);
    let oversold = 0;
    let ledgerMismatch = 0;
    const perSku: SaleAudit['perSku'] = [];
    for (const sku of skus) {
      const stock = opts.stockBySku[sku] ?? 0;
      const l = ledger.find((x) => x.sku === sku);
      const inOrders = units.get(sku) ?? 0;
      const sold = Math.max(inOrders, l?.confirmed ?? 0);
      oversold += Math.max(0, sold - Math.min(stock, l?.initial_stock ?? stock));
      if (l) ledgerMismatch += Math.abs(l.confirmed - inOrders);
      perSku.push({ sku, stock, ledgerInitial: l?.initial_stock ?? null, ledgerConfirmed: l?.confirmed ?? null, unitsInOrders: inOrders });
    }
    const have = new Set(rows.map((r) => r.hold_id));
    const lostOrders = [...expected].filter((h) => !have.has(h)).length;
    const perShopper = new Map<string, number>();
    for (const r of rows) perShopper.set(r.shopper_id, (perShopper.get(r.shopper_id) ?? 0) + 1);
    let duplicateOrders = rows.length - have.size;
    for (const n of perShopper.values()) duplicateOrders += Math.max(0, n - 1);
    const placed = new Set(opts.heldOrders.map(([h]) => h));
    const unexpectedOrders = rows.filter((r) => !placed.has(r.hold_id)).length;
    return {
      oversold,
      lostOrders,
      duplicateOrders,
      unexpectedOrders,
      ledgerMismatch,
      orderRows: rows.length,
      perSku,
      drainedInMs,
      drained,
    };
  } finally {
    await client.end();
  }
}
