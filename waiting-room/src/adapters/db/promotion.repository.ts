import { promotionProductSchema } from '@flashgate/shared/contracts';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Promotion, PromotionPhase } from '../../domain/promotion.js';
import type { PromotionSource } from '../../domain/promotion-directory.js';
import type { RuleOutcome } from '../../domain/promotion-rules.js';
import type { NewPromotion, PromotionStore } from '../../domain/promotion-service.js';
import type { PromotionsTable, WaitingRoomDb } from './tables.js';

const productsSchema = promotionProductSchema.array();

/** Promotions in Postgres; rows never leave this file. */
export class PromotionRepository implements PromotionStore, PromotionSource {
  readonly #db: Kysely<WaitingRoomDb>;
  /** How long after its window a promotion still counts as live for refresh and re-publishing. */
  readonly #liveAfterEnd: string;

  constructor(db: Kysely<any>, opts: { liveAfterEndHours?: number } = {}) {
    this.#db = db as Kysely<WaitingRoomDb>;
    this.#liveAfterEnd = `${opts.liveAfterEndHours ?? 24} hours`;
  }

  async insert(p: NewPromotion): Promise<Promotion | false> {
    const row = await this.#db
      .insertInto('promotions')
      .values({
        id: p.id,
        ...settingsColumns(p),
        published_phase: p.publishedPhase,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? fromRow(row) : false;
  }

  async get(id: string): Promise<Promotion | undefined> {
    const row = await this.#db.selectFrom('promotions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<Promotion[]> {
    const rows = await this.#db.selectFrom('promotions').selectAll().orderBy('window_start', 'desc').orderBy('id').execute();
    return rows.map(fromRow);
  }

  /** Not cancelled-or-ended long ago: what caches and the republisher keep up to date. */
  async listLive(): Promise<Promotion[]> {
    const rows = await this.#db
      .selectFrom('promotions')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('window_end', '>', sql<Date>`now() - ${this.#liveAfterEnd}::interval`),
          eb('updated_at', '>', sql<Date>`now() - ${this.#liveAfterEnd}::interval`),
        ]),
      )
      .execute();
    return rows.map(fromRow);
  }

  advancePhase(id: string, version: number, phase: PromotionPhase): Promise<Promotion | undefined> {
    return advancePhaseRow(this.#db, id, version, phase);
  }

  update(id: string, change: (current: Promotion) => RuleOutcome<Promotion>): Promise<RuleOutcome<Promotion> | undefined> {
    return this.#db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('promotions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) return undefined;
      const outcome = change(fromRow(row));
      if (!outcome.ok || !outcome.changed) return outcome;
      const p = outcome.value;
      const updated = await tx
        .updateTable('promotions')
        .set({
          ...settingsColumns(p),
          published_phase: p.publishedPhase ?? row.published_phase,
          version: sql<number>`version + 1`,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ok: true, value: fromRow(updated), changed: true };
    });
  }
}

/** Only the version it was computed from moves on, so nodes racing on the same transition bump it once. */
export async function advancePhaseRow(db: Kysely<WaitingRoomDb>, id: string, version: number, phase: PromotionPhase) {
  const row = await db
    .updateTable('promotions')
    .set({ published_phase: phase, version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('version', '=', version)
    .where('published_phase', '<>', phase)
    .returningAll()
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

function fromRow(r: Selectable<PromotionsTable>): Promotion {
  return {
    id: r.id,
    name: r.name,
    cancelled: r.cancelled,
    paused: r.paused,
    prequeueOpensAt: r.prequeue_opens_at,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    admissionRatePerSec: r.admission_rate_per_sec,
    maxActiveShoppers: r.max_active_shoppers,
    tokenTtlSeconds: r.token_ttl_seconds,
    graceSeconds: r.grace_seconds,
    products: productsSchema.parse(r.products),
    version: r.version,
    publishedPhase: r.published_phase as PromotionPhase,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The columns a promotion's settings map to, shared by insert and update. */
function settingsColumns(p: Omit<Promotion, 'version' | 'createdAt' | 'updatedAt' | 'id'>) {
  return {
    name: p.name,
    cancelled: p.cancelled,
    paused: p.paused,
    prequeue_opens_at: p.prequeueOpensAt,
    window_start: p.windowStart,
    window_end: p.windowEnd,
    admission_rate_per_sec: p.admissionRatePerSec,
    max_active_shoppers: p.maxActiveShoppers,
    token_ttl_seconds: p.tokenTtlSeconds,
    grace_seconds: p.graceSeconds,
    products: JSON.stringify(p.products),
  };
}
