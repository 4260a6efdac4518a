import { type Kysely, type Selectable, sql } from 'kysely';
import type { KeySchedule, RotationPlan } from '../../domain/signing-keys.js';
import type { SigningKeysTable, WaitingRoomDb } from './tables.js';

export interface StoredSigningKey extends KeySchedule {
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
}

/** Admission signing keys in Postgres; rows never leave this file. */
export class SigningKeyRepository {
  readonly #db: Kysely<WaitingRoomDb>;

  constructor(db: Kysely<any>) {
    this.#db = db as Kysely<WaitingRoomDb>;
  }

  async list(): Promise<StoredSigningKey[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('activates_at').execute();
    return rows.map(fromRow);
  }

  /**
   * Decides and writes a rotation while holding a transaction-scoped advisory lock, so nodes starting
   * (or rotating) at the same moment see each other's key instead of each adding a current one. The
   * unique activates_at is a second line of defence.
   */
  async rotate(
    decide: (keys: StoredSigningKey[]) => RotationPlan | undefined,
    generate: () => Promise<{ kid: string; privateJwk: Record<string, unknown>; publicJwk: Record<string, unknown> }>,
    createdAt: () => Date,
  ): Promise<StoredSigningKey | undefined> {
    return this.#db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.signing_keys'))`.execute(tx);
      const keys = (await tx.selectFrom('signing_keys').selectAll().execute()).map(fromRow);
      const plan = decide(keys);
      if (!plan) return undefined;
      for (const r of plan.retire) {
        await tx.updateTable('signing_keys').set({ retires_at: r.retiresAt }).where('kid', '=', r.kid).execute();
      }
      const key = await generate();
      const row = await tx
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          private_jwk: JSON.stringify(key.privateJwk),
          public_jwk: JSON.stringify(key.publicJwk),
          created_at: createdAt(),
          activates_at: plan.activatesAt,
          retires_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return fromRow(row);
    });
  }

  /** Drops keys that left the JWKS before `before`; returns how many. */
  async deleteRetiredBefore(before: Date): Promise<number> {
    const r = await this.#db.deleteFrom('signing_keys').where('retires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function fromRow(r: Selectable<SigningKeysTable>): StoredSigningKey {
  return {
    kid: r.kid,
    createdAt: r.created_at,
    activatesAt: r.activates_at,
    retiresAt: r.retires_at,
    privateJwk: r.private_jwk,
    publicJwk: r.public_jwk,
  };
}
