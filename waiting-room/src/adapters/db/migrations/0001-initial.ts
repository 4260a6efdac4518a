import { type Kysely, sql } from 'kysely';

/**
 * Promotions: Postgres is their source of truth; Redis holds the live queue.
 * Signing keys: every node signs admission tokens with the same current key (private JWKs are stored
 * in clear text; encrypting them at rest is out of scope for now).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('promotions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cancelled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('prequeue_opens_at', 'timestamptz', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('admission_rate_per_sec', 'double precision', (c) => c.notNull())
    .addColumn('max_active_shoppers', 'integer', (c) => c.notNull())
    .addColumn('token_ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('grace_seconds', 'integer', (c) => c.notNull())
    .addColumn('paused', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('products', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('published_phase', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('promotions_window_order', sql`window_start < window_end and prequeue_opens_at <= window_start`)
    .execute();
  await db.schema.createIndex('promotions_window_start_idx').on('promotions').column('window_start').execute();
  await db.schema.createIndex('promotions_window_end_idx').on('promotions').column('window_end').execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('private_jwk', 'jsonb', (c) => c.notNull())
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activates_at', 'timestamptz', (c) => c.notNull().unique())
    .addColumn('retires_at', 'timestamptz')
    .addCheckConstraint('signing_keys_order', sql`retires_at is null or retires_at > activates_at`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('signing_keys').execute();
  await db.schema.dropTable('promotions').execute();
}
