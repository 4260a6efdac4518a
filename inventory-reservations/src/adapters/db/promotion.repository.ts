import type { PromotionSnapshot } from '@flashgate/shared/contracts';
import { type Kysely, sql, type Transaction } from 'kysely';

export interface LedgerRow {
  sku: string;
  name: string;
  priceCents: number;
  perShopperLimit: number;
  initialStock: number;
  confirmed: number;
  /**
   * Whether the latest applied snapshot lists this SKU. A SKU a newer snapshot dropped keeps its
   * ledger row (its confirmed orders and the stock they count against) but is off sale.
   */
  listed: boolean;
}

export interface StoredPromotion {
  promotionId: string;
  version: number;
  status: string;
  holdTtlSeconds: number | null;
}

/**
 * Applies a snapshot inside a transaction that holds the promotion's row lock, so two nodes never
 * apply versions concurrently. `applyToRedis` runs under that lock and returns the initial stock
 * actually applied per SKU (a refused lowering keeps the old one); the ledger then gets the same.
 * Returns false when Postgres already has this version or a newer one.
 */
export async function applySnapshotToLedger(
  db: Kysely<any>,
  snap: PromotionSnapshot,
  /** Receives the version Postgres holds (0 when the promotion is new to us). */
  applyToRedis: (knownVersion: number) => Promise<{ sku: string; initialStock: number }[] | undefined>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`insert into promotions (promotion_id, version, status, hold_ttl_seconds, snapshot)
      values (${snap.promotionId}, 0, ${snap.status}, ${snap.holdTtlSeconds ?? null}, ${JSON.stringify(snap)}::jsonb)
      on conflict (promotion_id) do nothing`.execute(trx);
    const row = await sql<{ version: number }>`
      select version from promotions where promotion_id = ${snap.promotionId} for update`.execute(trx);
    const knownVersion = row.rows[0]?.version ?? 0;
    if (knownVersion >= snap.version) return false;
    const effective = await applyToRedis(knownVersion);
    if (!effective) return false;
    const initial = new Map(effective.map((e) => [e.sku, e.initialStock]));
    const p = snap.products;
    await sql`
      insert into stock_ledger (promotion_id, sku, name, price_cents, per_shopper_limit, initial_stock, promotion_version)
      select ${snap.promotionId}, * from unnest(${p.map((x) => x.sku)}::text[], ${p.map((x) => x.name)}::text[],
        ${p.map((x) => x.priceCents)}::bigint[], ${p.map((x) => x.perShopperLimit)}::int[],
        ${p.map((x) => initial.get(x.sku) ?? x.stock)}::int[], ${p.map(() => snap.version)}::int[])
      on conflict (promotion_id, sku) do update set name = excluded.name, price_cents = excluded.price_cents,
        per_shopper_limit = excluded.per_shopper_limit, initial_stock = excluded.initial_stock,
        promotion_version = excluded.promotion_version, updated_at = now()`.execute(trx);
    await sql`update promotions set version = ${snap.version}, status = ${snap.status},
      hold_ttl_seconds = ${snap.holdTtlSeconds ?? null}, snapshot = ${JSON.stringify(snap)}::jsonb, updated_at = now()
      where promotion_id = ${snap.promotionId}`.execute(trx);
    return true;
  });
}

export async function listPromotions(db: Kysely<any>): Promise<StoredPromotion[]> {
  const r = await sql<{ promotion_id: string; version: number; status: string; hold_ttl_seconds: number | null }>`
    select promotion_id, version, status, hold_ttl_seconds from promotions where version > 0 order by promotion_id`.execute(db);
  return r.rows.map((x) => ({ promotionId: x.promotion_id, version: x.version, status: x.status, holdTtlSeconds: x.hold_ttl_seconds }));
}

export async function promotionSnapshot(db: Kysely<any>, promotionId: string): Promise<PromotionSnapshot | undefined> {
  const r = await sql<{
    snapshot: PromotionSnapshot;
  }>`select snapshot from promotions where promotion_id = ${promotionId} and version > 0`.execute(db);
  return r.rows[0]?.snapshot;
}

export interface LedgerFigures {
  ledger: LedgerRow[];
  /** Of the given hold ids, those Postgres has. */
  persisted: string[];
  shopperUnits?: { sku: string; shopperId: string; units: number }[];
}

/**
 * Reads a promotion's ledger in one REPEATABLE READ snapshot, then — still inside it — asks Redis
 * for the pending hold ids and checks which of them that same snapshot already contains. Reading
 * Redis after the snapshot is what lets the rebuild count every confirmed hold exactly once.
 */
export async function readLedgerFigures(
  db: Kysely<any>,
  promotionId: string,
  readPending: () => Promise<string[]>,
  withShoppers: boolean,
): Promise<LedgerFigures> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx: Transaction<any>) => {
      const ledger = await sql<{
        sku: string;
        name: string;
        price_cents: string;
        per_shopper_limit: number;
        initial_stock: number;
        confirmed: number;
        listed: boolean;
      }>`select l.sku, l.name, l.price_cents, l.per_shopper_limit, l.initial_stock, l.confirmed,
           exists (select 1 from promotions p, jsonb_array_elements(p.snapshot->'products') x
                   where p.promotion_id = l.promotion_id and x->>'sku' = l.sku) as listed
         from stock_ledger l where l.promotion_id = ${promotionId} order by l.sku`.execute(trx);
      let shopperUnits: LedgerFigures['shopperUnits'];
      if (withShoppers) {
        const s = await sql<{ sku: string; shopper_id: string; units: string }>`
          select l->>'sku' as sku, shopper_id, sum((l->>'quantity')::int) as units
          from orders, jsonb_array_elements(lines) l where promotion_id = ${promotionId} group by 1, 2`.execute(trx);
        shopperUnits = s.rows.map((r) => ({ sku: r.sku, shopperId: r.shopper_id, units: Number(r.units) }));
      }
      const pending = await readPending();
      let persisted: string[] = [];
      if (pending.length > 0) {
        const p = await sql<{ hold_id: string }>`select hold_id from orders where hold_id = any(${pending}::text[])`.execute(trx);
        persisted = p.rows.map((r) => r.hold_id);
      }
      return {
        ledger: ledger.rows.map((r) => ({
          sku: r.sku,
          name: r.name,
          priceCents: Number(r.price_cents),
          perShopperLimit: r.per_shopper_limit,
          initialStock: r.initial_stock,
          confirmed: r.confirmed,
          listed: r.listed,
        })),
        persisted,
        shopperUnits,
      };
    });
}
