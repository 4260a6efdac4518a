import type { OrderConfirmedEvent } from '@flashgate/shared/contracts';
import { type Kysely, sql } from 'kysely';

/** The ledger refused a batch: it would confirm more than a SKU's stock, or the SKU is unknown. */
export class LedgerRejectedError extends Error {
  readonly code = 'LEDGER_REJECTED';
  constructor(message: string) {
    super(message);
    this.name = 'LedgerRejectedError';
  }
}

/**
 * Writes a batch of confirmed orders in one transaction: one multi-row INSERT … ON CONFLICT DO
 * NOTHING RETURNING (a redelivered hold inserts nothing), then the ledger is raised per SKU by
 * exactly the rows that were new, under a condition that can never take it past the initial stock.
 * Returns the hold ids that were new.
 */
export async function insertOrders(db: Kysely<any>, batch: OrderConfirmedEvent[]): Promise<string[]> {
  // A redelivery can sit in the same batch as its original; count each hold once.
  const events = [...new Map(batch.map((e) => [e.holdId, e])).values()];
  if (events.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const cols = {
      hold: [] as string[],
      order: [] as string[],
      promotion: [] as string[],
      shopper: [] as string[],
      lines: [] as string[],
      amount: [] as number[],
      payment: [] as string[],
      confirmedAt: [] as string[],
    };
    for (const e of events) {
      cols.hold.push(e.holdId);
      cols.order.push(e.orderId);
      cols.promotion.push(e.promotionId);
      cols.shopper.push(e.shopperId);
      cols.lines.push(JSON.stringify(e.lines));
      cols.amount.push(e.amountCents);
      cols.payment.push(e.paymentReference);
      cols.confirmedAt.push(e.confirmedAt);
    }
    const inserted = await sql<{ hold_id: string }>`
      insert into orders (hold_id, order_id, promotion_id, shopper_id, lines, amount_cents, payment_reference, confirmed_at)
      select * from unnest(${cols.hold}::text[], ${cols.order}::text[], ${cols.promotion}::text[], ${cols.shopper}::text[],
                           ${cols.lines}::jsonb[], ${cols.amount}::bigint[], ${cols.payment}::text[], ${cols.confirmedAt}::timestamptz[])
      on conflict do nothing
      returning hold_id`.execute(trx);
    const fresh = new Set(inserted.rows.map((r) => r.hold_id));
    const perSku = new Map<string, { promotionId: string; sku: string; units: number }>();
    for (const e of events) {
      if (!fresh.has(e.holdId)) continue;
      for (const l of e.lines) {
        const key = `${e.promotionId}\0${l.sku}`;
        const agg = perSku.get(key) ?? { promotionId: e.promotionId, sku: l.sku, units: 0 };
        agg.units += l.quantity;
        perSku.set(key, agg);
      }
    }
    if (perSku.size > 0) {
      // A fixed lock order across concurrent batches: no deadlocks on the ledger rows.
      const rows = [...perSku.values()].sort((a, b) =>
        a.promotionId === b.promotionId ? (a.sku < b.sku ? -1 : 1) : a.promotionId < b.promotionId ? -1 : 1,
      );
      const updated = await sql<{ sku: string }>`
        update stock_ledger l set confirmed = l.confirmed + v.units, updated_at = now()
        from unnest(${rows.map((r) => r.promotionId)}::text[], ${rows.map((r) => r.sku)}::text[], ${rows.map((r) => r.units)}::int[])
          as v(promotion_id, sku, units)
        where l.promotion_id = v.promotion_id and l.sku = v.sku and l.confirmed + v.units <= l.initial_stock
        returning l.sku`.execute(trx);
      if (updated.rows.length !== rows.length) {
        throw new LedgerRejectedError(`ledger refused ${rows.length - updated.rows.length} of ${rows.length} SKU updates`);
      }
    }
    return [...fresh];
  });
}

export async function countOrders(db: Kysely<any>, promotionId: string): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from orders where promotion_id = ${promotionId}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
