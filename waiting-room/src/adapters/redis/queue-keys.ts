/**
 * Every Redis key and channel the queue uses, and nowhere else. Keys of one promotion share the
 * hash tag `{promotionId}`, so each multi-key Lua script touches one Redis Cluster slot.
 */
export interface QueueKeys {
  /** String: last ticket handed out (monotonic). */
  seq: string;
  /** Sorted set: pre-queue shoppers, score = a crypto-random key drawn at join (order at the draw). */
  prequeue: string;
  /** Sorted set: shoppers in line, score = ticket. */
  waiting: string;
  /** Sorted set: admitted shoppers, score = admission token expiry (epoch ms); counts towards the cap while live. */
  admitted: string;
  /** Hash: shopperId → JSON {token, expiresAt} of the admission, so re-issuing returns the same token. */
  tokens: string;
  /** Sorted set: shopperId → last time the shopper was seen connected (epoch ms); the grace sweeper reads it. */
  seen: string;
  /** Hash: drawn (1 once the pre-queue draw ran), soldOut (1), rate (last measured admissions/s). */
  meta: string;
  /** String: the admitter lease, value "owner|fence", with a TTL. */
  lease: string;
  /** String: fencing counter, incremented on every lease acquisition. */
  fence: string;
  /** Pub/sub channel: ticks and admission notices of the promotion. */
  events: string;
}

export interface QueueKeyBuilder {
  forPromotion(promotionId: string): QueueKeys;
  /** Set of promotion ids with queue activity: every node contends for their admitter lease. */
  activePromotions: string;
  /** Pattern matching every promotion's events channel. */
  eventsPattern: string;
  /** Extracts the promotion id from an events channel name. */
  promotionOfChannel(channel: string): string | undefined;
}

export function queueKeys(prefix: string): QueueKeyBuilder {
  const base = `${prefix}:wr`;
  return {
    forPromotion(id) {
      const p = `${base}:{${id}}`;
      return {
        seq: `${p}:seq`,
        prequeue: `${p}:prequeue`,
        waiting: `${p}:waiting`,
        admitted: `${p}:admitted`,
        tokens: `${p}:tokens`,
        seen: `${p}:seen`,
        meta: `${p}:meta`,
        lease: `${p}:lease`,
        fence: `${p}:fence`,
        events: `${p}:events`,
      };
    },
    activePromotions: `${base}:active-promotions`,
    eventsPattern: `${base}:{*}:events`,
    promotionOfChannel(channel) {
      const m = /^.*:wr:\{([^}]+)\}:events$/.exec(channel);
      return m?.[1];
    },
  };
}
