/**
 * Every Redis key this service uses, and only here. Per-promotion keys carry the `{promotionId}`
 * hash tag so each Lua script's keys — including the per-hold keys a script derives from
 * `holdPrefix` / `orderPrefix` — live in one cluster slot.
 */
export interface PromotionKeys {
  /** Hash: version, status, holdTtlMs. */
  meta: string;
  /** Hash sku → units available to hold. */
  stock: string;
  /** Hash sku → units in live holds (held or confirming). */
  held: string;
  /** Hash sku → units in confirmed holds (persisted or on their way to Postgres). */
  confirmed: string;
  /** Hash sku → initial stock, as last applied from a snapshot. */
  initial: string;
  /** Hash sku → unit price in cents. */
  price: string;
  /** Hash sku → per-shopper limit. */
  limit: string;
  /** Hash sku → product name. */
  name: string;
  /** Hash `${sku}\0${shopperId}` → units the shopper holds or bought. */
  shopper: string;
  /** Sorted set holdId → expiry (ms since epoch) of every live hold; the reaper's work list. */
  expiry: string;
  /** Set of confirmed holdIds not yet acknowledged by JetStream (the republisher's work list). */
  unpublished: string;
  /** Set of confirmed holdIds not yet known to be in Postgres (pruned by reconciliation). */
  pending: string;
  /** Prefix of the per-hold hashes: `${holdPrefix}${holdId}`. */
  holdPrefix: string;
  /** Prefix of the orderId → holdId idempotency strings: `${orderPrefix}${orderId}`. */
  orderPrefix: string;
  hold: (holdId: string) => string;
  order: (orderId: string) => string;
}

export interface InventoryKeys {
  /** Set of promotion ids this installation knows (the reaper's and republisher's list). */
  promotions: string;
  /** Lock held while stock is rebuilt from Postgres or reconciled. */
  rebuildLock: string;
  /** Last reconciliation report (JSON). */
  lastReconcile: string;
  promotion: (promotionId: string) => PromotionKeys;
}

export function inventoryKeys(prefix: string): InventoryKeys {
  const base = `${prefix}:inv`;
  return {
    promotions: `${base}:promotions`,
    rebuildLock: `${base}:lock:rebuild`,
    lastReconcile: `${base}:reconcile:last`,
    promotion: (promotionId) => {
      const p = `${base}:{${promotionId}}`;
      return {
        meta: `${p}:meta`,
        stock: `${p}:stock`,
        held: `${p}:held`,
        confirmed: `${p}:confirmed`,
        initial: `${p}:initial`,
        price: `${p}:price`,
        limit: `${p}:limit`,
        name: `${p}:name`,
        shopper: `${p}:shopper`,
        expiry: `${p}:expiry`,
        unpublished: `${p}:unpublished`,
        pending: `${p}:pending`,
        holdPrefix: `${p}:hold:`,
        orderPrefix: `${p}:order:`,
        hold: (holdId) => `${p}:hold:${holdId}`,
        order: (orderId) => `${p}:order:${orderId}`,
      };
    },
  };
}
