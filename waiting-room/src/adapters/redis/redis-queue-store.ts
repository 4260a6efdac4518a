import type { Redis } from 'ioredis';
import type {
  AdmissionCandidate,
  JoinOutcome,
  QueueEvent,
  QueueStore,
  Standing,
  StoredAdmission,
  TickFigures,
} from '../../domain/queue-store.js';
import { defineBatchedScript, defineScript } from './lua-scripts.js';
import { type QueueKeyBuilder, queueKeys } from './queue-keys.js';

function parseAdmission(raw: string | null | undefined): StoredAdmission | null {
  if (!raw) return null;
  const v = JSON.parse(raw) as StoredAdmission;
  return { token: v.token, expiresAt: v.expiresAt, admittedAt: v.admittedAt };
}

/**
 * The queue over Redis: one sorted set per promotion for the line, Lua for every multi-key change,
 * pub/sub for the per-promotion event fan-out. `subscriber` is a dedicated connection (a Redis
 * connection in subscribe mode cannot run commands).
 */
export function createRedisQueueStore(redis: Redis, opts: { keyPrefix: string; subscriber?: Redis }): QueueStore {
  const keys: QueueKeyBuilder = queueKeys(opts.keyPrefix);
  const k = (id: string) => keys.forPromotion(id);
  const joinScript = defineBatchedScript(redis, 'join-queue-6.lua');
  const drawScript = defineScript(redis, 'draw-prequeue-4.lua');
  const leaveScript = defineScript(redis, 'leave-queue-3.lua');
  const expireScript = defineScript(redis, 'expire-disconnected-3.lua');
  const acquireScript = defineScript(redis, 'acquire-lease-2.lua');
  const releaseScript = defineScript(redis, 'release-lease-1.lua');
  const admitScript = defineScript(redis, 'admit-batch-5.lua');
  const tickScript = defineScript(redis, 'read-tick-4.lua');

  return {
    async join(id, shopperId, { now, phase, drawKey }): Promise<JoinOutcome> {
      const q = k(id);
      const [status, ticket, ahead, admission] = (await joinScript(
        [q.meta, q.prequeue, q.waiting, q.tokens, q.seq, q.seen],
        [shopperId, now, phase, drawKey],
      )) as [string, number, number, string];
      switch (status) {
        case 'admitted':
          return { status, admission: parseAdmission(admission) as StoredAdmission };
        case 'waiting':
          return { status, ticket, ahead };
        case 'prequeue':
        case 'need_draw':
          return { status };
        default:
          throw new Error(`join-queue returned ${status}`);
      }
    },

    async standing(id, shopperId, now): Promise<Standing> {
      const q = k(id);
      const res = await redis
        .pipeline()
        .hget(q.tokens, shopperId)
        .zscore(q.waiting, shopperId)
        .zscore(q.prequeue, shopperId)
        .zadd(q.seen, 'XX', now, shopperId)
        .exec();
      if (!res) throw new Error('pipeline aborted');
      for (const [err] of res) if (err) throw err;
      const admission = parseAdmission(res[0]?.[1] as string | null);
      if (admission) return { status: 'admitted', admission };
      const ticket = res[1]?.[1] as string | null;
      if (ticket !== null && ticket !== undefined) return { status: 'waiting', ticket: Number(ticket) };
      if (res[2]?.[1] !== null) return { status: 'prequeue' };
      return { status: 'absent' };
    },

    async drawPrequeue(id) {
      const q = k(id);
      return Number(await drawScript([q.meta, q.prequeue, q.waiting, q.seq], []));
    },

    async leave(id, shopperId) {
      const q = k(id);
      return Number(await leaveScript([q.prequeue, q.waiting, q.seen], [shopperId])) === 1;
    },

    async touch(id, shopperIds, now) {
      if (shopperIds.length === 0) return;
      const q = k(id);
      for (let i = 0; i < shopperIds.length; i += 1000) {
        const args: Array<string | number> = [];
        for (const s of shopperIds.slice(i, i + 1000)) args.push(now, s);
        await redis.zadd(q.seen, 'XX', ...args);
      }
    },

    async expireUnseen(id, cutoffMs, limit) {
      const q = k(id);
      return (await expireScript([q.seen, q.waiting, q.prequeue], [cutoffMs, limit])) as string[];
    },

    async ticketsOf(id, shopperIds) {
      if (shopperIds.length === 0) return [];
      const out: Array<number | null> = [];
      for (let i = 0; i < shopperIds.length; i += 1000) {
        const scores = await redis.zmscore(k(id).waiting, ...shopperIds.slice(i, i + 1000));
        for (const s of scores) out.push(s === null ? null : Number(s));
      }
      return out;
    },

    async admissionsOf(id, shopperIds) {
      if (shopperIds.length === 0) return [];
      const raw = await redis.hmget(k(id).tokens, ...shopperIds);
      return raw.map(parseAdmission);
    },

    async acquireLease(id, owner, ttlMs) {
      const q = k(id);
      return ((await acquireScript([q.lease, q.fence], [owner, ttlMs])) as string | null) ?? null;
    },

    async releaseLease(id, lease) {
      await releaseScript([k(id).lease], [lease]);
    },

    async peekHead(id, count, now) {
      const q = k(id);
      const res = await redis
        .pipeline()
        .zrange(q.waiting, 0, count - 1)
        .zcount(q.admitted, `(${now}`, '+inf')
        .exec();
      if (!res) throw new Error('pipeline aborted');
      for (const [err] of res) if (err) throw err;
      return { shopperIds: res[0]?.[1] as string[], active: Number(res[1]?.[1]) };
    },

    async admit(id, lease, now, maxActive, candidates: AdmissionCandidate[]) {
      const q = k(id);
      const args: Array<string | number> = [lease, now, maxActive];
      for (const c of candidates) args.push(c.shopperId, c.expiresAtMs, JSON.stringify(c.admission));
      const res = await admitScript([q.lease, q.waiting, q.admitted, q.tokens, q.seen], args);
      return res === -1 ? 'fenced' : (res as string[]);
    },

    async readTick(id, now, { maxBuckets, minBucketSize }): Promise<TickFigures> {
      const q = k(id);
      const [head, waiting, lastTicket, active, bucketSize, gone] = (await tickScript(
        [q.waiting, q.seq, q.admitted, q.prequeue],
        [now, maxBuckets, minBucketSize],
      )) as [number, number, number, number, number, number[]];
      return { head, waiting, lastTicket, active, bucketSize, gone };
    },

    async meta(id) {
      const [drawn, soldOut] = await redis.hmget(k(id).meta, 'drawn', 'soldOut');
      return { drawn: drawn === '1', soldOut: soldOut === '1' };
    },

    admittedTotal: (id) => redis.hlen(k(id).tokens),

    async setSoldOut(id) {
      await redis.hset(k(id).meta, 'soldOut', '1');
    },

    async markActive(id) {
      await redis.sadd(keys.activePromotions, id);
    },

    async forgetActive(id) {
      await redis.srem(keys.activePromotions, id);
    },

    async activePromotions() {
      return redis.smembers(keys.activePromotions);
    },

    async publish(id, event: QueueEvent) {
      await redis.publish(k(id).events, JSON.stringify(event));
    },

    async resubscribe() {
      await opts.subscriber?.psubscribe(keys.eventsPattern);
    },

    async subscribe(listener) {
      const sub = opts.subscriber;
      if (!sub) throw new Error('subscribe needs a subscriber connection');
      const onMessage = (_pattern: string, channel: string, message: string) => {
        const id = keys.promotionOfChannel(channel);
        if (!id) return;
        let event: QueueEvent;
        try {
          event = JSON.parse(message) as QueueEvent;
        } catch {
          return;
        }
        listener(id, event, message);
      };
      // ioredis re-subscribes after a reconnect only when the connection had been fully ready; a
      // reconnect during its handshake (seen under load) silently drops the pattern, so every
      // 'ready' re-asserts it (PSUBSCRIBE of a pattern already held is a no-op).
      const onReady = () => void sub.psubscribe(keys.eventsPattern).catch(() => {});
      sub.on('pmessage', onMessage);
      sub.on('ready', onReady);
      await sub.psubscribe(keys.eventsPattern);
      return async () => {
        sub.off('pmessage', onMessage);
        sub.off('ready', onReady);
        await sub.punsubscribe(keys.eventsPattern).catch(() => {});
      };
    },
  };
}
