import { type Kysely, type Migration, Migrator, sql } from 'kysely';

export type { Migration };

/**
 * Runs a service's migrations inside the service's own schema, with its own migration table, so
 * services sharing one database never touch each other's tables. Migrations are listed in code
 * (not read from a folder) so the same list works from src under tests and from dist in production.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  opts: { schema: string; migrations: Record<string, Migration> },
): Promise<{ applied: string[] }> {
  await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(db);
  const migrator = new Migrator({
    db: db.withSchema(opts.schema),
    migrationTableSchema: opts.schema,
    provider: { getMigrations: async () => opts.migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed in schema ${opts.schema}: ${reason}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
