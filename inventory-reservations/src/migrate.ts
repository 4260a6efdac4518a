/** Applies this service's migrations to DATABASE_URL, in schema DB_SCHEMA, then exits. */
import { createDb } from '@flashgate/shared/clients';
import { migrateToLatest } from '@flashgate/shared/db';
import { migrations } from './adapters/db/migrations/index.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const db = createDb(config.DATABASE_URL, { max: 1, applicationName: 'inventory-reservations-migrate' });
try {
  const { applied } = await migrateToLatest(db, { schema: config.DB_SCHEMA, migrations });
  process.stdout.write(`${JSON.stringify({ service: 'inventory-reservations', msg: 'migrated', applied })}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
