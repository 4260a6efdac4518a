import { createDb } from '@flashgate/shared/clients';
import { migrateToLatest } from '@flashgate/shared/db';
import { createTestDatabase } from '@flashgate/shared/testing';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { migrations } from './index.js';

it('migrates up from an empty database, and again is a no-op', async () => {
  const database = await createTestDatabase();
  const db = createDb(database.url, { max: 2 });
  try {
    const first = await migrateToLatest(db, { schema: 'waiting_room', migrations });
    expect(first.applied).toEqual(Object.keys(migrations));
    const again = await migrateToLatest(db, { schema: 'waiting_room', migrations });
    expect(again.applied).toEqual([]);
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'waiting_room' order by table_name`.execute(db);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['promotions', 'signing_keys']));
  } finally {
    await db.destroy();
    await database.drop();
  }
});
