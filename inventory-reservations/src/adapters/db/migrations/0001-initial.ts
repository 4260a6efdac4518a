import { type Kysely, sql } from 'kysely';

/**
 * The stock ledger and confirmed orders. Postgres is the source of truth: Redis stock is rebuilt
 * from here (initial − confirmed − live holds). The check constraint makes overselling impossible
 * even if every layer above it were wrong.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // The latest promotion snapshot applied (waiting-room owns promotions; this is our copy), so a
  // rebuild needs nothing but Postgres, and older or repeated snapshots are recognised by version.
  await db.schema
    .createTable('promotions')
    .addColumn('promotion_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('hold_ttl_seconds', 'integer')
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('stock_ledger')
    .addColumn('promotion_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('price_cents', 'bigint', (c) => c.notNull())
    .addColumn('per_shopper_limit', 'integer', (c) => c.notNull())
    .addColumn('initial_stock', 'integer', (c) => c.notNull())
    .addColumn('confirmed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('promotion_version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('stock_ledger_pk', ['promotion_id', 'sku'])
    .addCheckConstraint('stock_ledger_never_oversold', sql`confirmed >= 0 and confirmed <= initial_stock`)
    .execute();
  await db.schema
    .createTable('orders')
    .addColumn('hold_id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().unique())
    .addColumn('promotion_id', 'text', (c) => c.notNull())
    .addColumn('shopper_id', 'text', (c) => c.notNull())
    .addColumn('lines', 'jsonb', (c) => c.notNull())
    .addColumn('amount_cents', 'bigint', (c) => c.notNull())
    .addColumn('payment_reference', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('orders_promotion_shopper_idx').on('orders').columns(['promotion_id', 'shopper_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('orders').execute();
  await db.schema.dropTable('stock_ledger').execute();
  await db.schema.dropTable('promotions').execute();
}
