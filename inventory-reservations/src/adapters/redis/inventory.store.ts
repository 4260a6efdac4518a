import type { OrderLine } from '@flashgate/shared/contracts';
import type { Redis } from 'ioredis';
import type { HeldLine, HoldFailure } from '../../domain/hold.js';
import type { SkuFigures } from '../../domain/reconciliation.js';
import type { SkuStock } from '../../domain/stock-status.js';
import type { InventoryKeys } from './keys.js';
import type { ScriptRunner } from './scripts.js';

export interface StoreOptions {
  holdTtlMs: number;
  paymentWindowMs: number;
  endedRecordTtlMs: number;
  confirmedRecordTtlMs: number;
}

export type HoldResult =
  | { ok: true; holdId: string; expiresAt: number; amountCents: number; lines: HeldLine[]; state: string; replayed: boolean }
  | { ok: false; outcome: HoldFailure; sku?: string };

export type PrepareResult =
  | { ok: true; expiresAt: number }
  | { ok: false; outcome: 'HOLD_NOT_FOUND' | 'HOLD_EXPIRED' | 'HOLD_RELEASED' | 'HOLD_CONFIRMED' };

export interface ConfirmedHold {
  holdId: string;
  orderId: string;
  promotionId: string;
  shopperId: string;
  lines: HeldLine[];
  amountCents: number;
  paymentReference: string;
  confirmedAt: number;
}

export type ConfirmResult =
  | { ok: true; hold: ConfirmedHold; unpublished: boolean }
  | { ok: false; outcome: 'HOLD_NOT_FOUND' | 'HOLD_EXPIRED' | 'HOLD_RELEASED' };

export type ReleaseResult = { ok: true; released: boolean } | { ok: false; outcome: 'HOLD_CONFIRMED' | 'HOLD_NOT_FOUND' };

export interface ProductStock extends SkuStock {
  sku: string;
  name: string;
  priceCents: number;
  perShopperLimit: number;
  initialStock: number;
}

export interface SnapshotInput {
  version: number;
  status: string;
  holdTtlMs?: number;
  products: { sku: string; initialStock: number; priceCents: number; perShopperLimit: number; name: string }[];
}

export type SnapshotResult =
  | { applied: false; lost: true }
  | { applied: false; lost?: false; currentVersion: number }
  /** removed: SKUs this snapshot no longer lists, now off sale (their counters stay; see apply-snapshot-6.lua). */
  | { applied: true; skus: { sku: string; initialStock: number; refused: boolean }[]; removed: string[] };

export interface PostgresFigures {
  skus: { sku: string; initialStock: number; confirmed: number }[];
  /** Pending holdIds (read after the snapshot was taken) that Postgres already has. */
  persistedHoldIds: string[];
  /** Per shopper and SKU, units in Postgres (rebuild only). */
  shopperUnits?: { sku: string; shopperId: string; units: number }[];
}

export interface RebuildResult {
  skus: SkuFigures[];
  pendingMissing: number;
  pendingPruned: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** Stock and holds of every promotion, in Redis; each mutation is one Lua script. */
export function createInventoryStore(redis: Redis, keys: InventoryKeys, scripts: ScriptRunner, opts: StoreOptions) {
  return {
    async hold(promotionId: string, holdId: string, orderId: string, shopperId: string, lines: OrderLine[]): Promise<HoldResult> {
      const k = keys.promotion(promotionId);
      const args: (string | number)[] = [holdId, orderId, shopperId, opts.holdTtlMs, k.holdPrefix, lines.length];
      for (const l of lines) args.push(l.sku, l.quantity);
      const r = (await scripts.holdStock(
        [k.meta, k.stock, k.held, k.price, k.limit, k.shopper, k.expiry, k.hold(holdId), k.order(orderId)],
        args,
      )) as string[];
      if (r[0] !== 'OK') return { ok: false, outcome: r[0] as HoldFailure, sku: r[1] };
      return {
        ok: true,
        holdId: r[1] as string,
        expiresAt: num(r[2]),
        amountCents: num(r[3]),
        lines: parseLines(r[4]),
        state: r[5] as string,
        replayed: num(r[6]) === 1,
      };
    },

    async prepare(promotionId: string, holdId: string, orderId: string): Promise<PrepareResult> {
      const k = keys.promotion(promotionId);
      const r = (await scripts.prepareHold(
        [k.hold(holdId), k.expiry, k.stock, k.held, k.shopper],
        [holdId, orderId, opts.paymentWindowMs, k.orderPrefix, opts.endedRecordTtlMs],
      )) as string[];
      if (r[0] === 'OK') return { ok: true, expiresAt: num(r[1]) };
      return { ok: false, outcome: r[0] as Exclude<PrepareResult, { ok: true }>['outcome'] };
    },

    async confirm(promotionId: string, holdId: string, orderId: string, paymentReference: string): Promise<ConfirmResult> {
      const k = keys.promotion(promotionId);
      const r = (await scripts.confirmHold(
        [k.hold(holdId), k.expiry, k.stock, k.held, k.shopper, k.confirmed, k.unpublished, k.pending],
        [holdId, orderId, paymentReference, k.orderPrefix, opts.endedRecordTtlMs, opts.confirmedRecordTtlMs],
      )) as string[];
      if (r[0] !== 'OK') return { ok: false, outcome: r[0] as 'HOLD_NOT_FOUND' };
      return {
        ok: true,
        unpublished: num(r[6]) === 1,
        hold: {
          holdId,
          orderId,
          promotionId,
          shopperId: r[1] as string,
          lines: parseLines(r[2]),
          amountCents: num(r[3]),
          paymentReference: r[4] as string,
          confirmedAt: num(r[5]),
        },
      };
    },

    async release(promotionId: string, holdId: string, reason: string): Promise<ReleaseResult> {
      const k = keys.promotion(promotionId);
      const r = (await scripts.releaseHold(
        [k.hold(holdId), k.expiry, k.stock, k.held, k.shopper],
        [holdId, reason, k.orderPrefix, opts.endedRecordTtlMs],
      )) as string[];
      if (r[0] === 'RELEASED') return { ok: true, released: true };
      if (r[0] === 'ALREADY_ENDED') return { ok: true, released: false };
      return { ok: false, outcome: r[0] as 'HOLD_CONFIRMED' };
    },

    async reap(promotionId: string, max: number): Promise<number> {
      const k = keys.promotion(promotionId);
      return num(
        await scripts.reapExpired([k.expiry, k.stock, k.held, k.shopper], [k.holdPrefix, k.orderPrefix, max, opts.endedRecordTtlMs]),
      );
    },

    /** A confirmed hold as stored (for the republisher); undefined once its record is gone. */
    async confirmedHold(promotionId: string, holdId: string): Promise<ConfirmedHold | undefined> {
      const h = await redis.hgetall(keys.promotion(promotionId).hold(holdId));
      if (h.state !== 'confirmed') return undefined;
      return {
        holdId,
        orderId: h.orderId as string,
        promotionId,
        shopperId: h.shopperId as string,
        lines: parseLines(h.lines),
        amountCents: num(h.amountCents),
        paymentReference: h.paymentReference as string,
        confirmedAt: num(h.confirmedAt),
      };
    },

    async status(promotionId: string): Promise<string | null> {
      return redis.hget(keys.promotion(promotionId).meta, 'status');
    },

    async setStatus(promotionId: string, status: string): Promise<void> {
      await redis.hset(keys.promotion(promotionId).meta, 'status', status);
    },

    async markPublished(promotionId: string, holdIds: string[]): Promise<void> {
      if (holdIds.length > 0) await redis.srem(keys.promotion(promotionId).unpublished, ...holdIds);
    },

    unpublished: (promotionId: string) => redis.smembers(keys.promotion(promotionId).unpublished),
    pending: (promotionId: string) => redis.smembers(keys.promotion(promotionId).pending),
    promotions: () => redis.smembers(keys.promotions),

    async stock(promotionId: string): Promise<ProductStock[] | undefined> {
      const k = keys.promotion(promotionId);
      const [meta, stock, held, confirmed, initial, price, limit, name] = (await redis
        .multi()
        .hget(k.meta, 'version')
        .hgetall(k.stock)
        .hgetall(k.held)
        .hgetall(k.confirmed)
        .hgetall(k.initial)
        .hgetall(k.price)
        .hgetall(k.limit)
        .hgetall(k.name)
        .exec()
        .then((rows) =>
          (rows ?? []).map(([err, v]) => {
            if (err) throw err;
            return v;
          }),
        )) as [string | null, ...Record<string, string>[]];
      if (!meta) return undefined;
      return Object.keys(price ?? {})
        .sort()
        .map((sku) => ({
          sku,
          name: name?.[sku] ?? sku,
          priceCents: num(price?.[sku]),
          perShopperLimit: num(limit?.[sku]),
          initialStock: num(initial?.[sku]),
          available: num(stock?.[sku]),
          held: num(held?.[sku]),
          confirmed: num(confirmed?.[sku]),
        }));
    },

    /** `knownVersion`: the version Postgres holds (0 for a new promotion, or when restoring from Postgres itself). */
    async applySnapshot(promotionId: string, s: SnapshotInput, knownVersion = 0): Promise<SnapshotResult> {
      const k = keys.promotion(promotionId);
      const args: (string | number)[] = [s.version, s.status, s.holdTtlMs ?? '', s.products.length];
      for (const p of s.products) args.push(p.sku, p.initialStock, p.priceCents, p.perShopperLimit, p.name);
      args.push(knownVersion);
      const r = (await scripts.applySnapshot([k.meta, k.stock, k.initial, k.price, k.limit, k.name], args)) as (string | number)[];
      if (r[0] === 'LOST') return { applied: false, lost: true };
      await redis.sadd(keys.promotions, promotionId);
      if (r[0] === 'STALE') return { applied: false, currentVersion: num(r[1]) };
      const listed = num(r[1]);
      const skus: { sku: string; initialStock: number; refused: boolean }[] = [];
      for (let i = 2; i < 2 + listed * 3; i += 3) {
        skus.push({ sku: String(r[i]), initialStock: num(r[i + 1]), refused: num(r[i + 2]) === 1 });
      }
      return { applied: true, skus, removed: r.slice(2 + listed * 3).map(String) };
    },

    /** Rewrites (or, in 'check' mode, only computes) counters from Postgres figures + live Redis state. */
    async rebuild(promotionId: string, mode: 'check' | 'repair' | 'rebuild', pg: PostgresFigures): Promise<RebuildResult> {
      const k = keys.promotion(promotionId);
      const args: (string | number)[] = [k.holdPrefix, mode, pg.skus.length];
      for (const s of pg.skus) args.push(s.sku, s.initialStock, s.confirmed);
      args.push(pg.persistedHoldIds.length, ...pg.persistedHoldIds);
      const shoppers = pg.shopperUnits ?? [];
      args.push(shoppers.length);
      for (const s of shoppers) args.push(`${s.sku}\0${s.shopperId}`, s.units);
      const raw = JSON.parse(
        (await scripts.rebuildStock([k.stock, k.held, k.confirmed, k.initial, k.shopper, k.expiry, k.pending], args)) as string,
      ) as { skus: unknown; pendingMissing: number; pendingPruned: number };
      return {
        skus: Array.isArray(raw.skus) ? (raw.skus as SkuFigures[]) : [],
        pendingMissing: raw.pendingMissing,
        pendingPruned: raw.pendingPruned,
      };
    },
  };
}

export type InventoryStore = ReturnType<typeof createInventoryStore>;

function parseLines(raw: unknown): HeldLine[] {
  if (typeof raw !== 'string') return [];
  const v = JSON.parse(raw) as unknown;
  return Array.isArray(v) ? (v as HeldLine[]) : [];
}
