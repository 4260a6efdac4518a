import type { Redis } from 'ioredis';
import { ORDER_STATUSES, type HeldLine, type Order, type OrderStatus } from '../../domain/order.js';
import type { GatewayKeys } from './keys.js';
import { registerScripts, type ScriptedRedis } from './scripts.js';

/** What an idempotency key holds (JSON in Redis). */
export type IdempotencyRecord =
  | { state: 'in_flight'; fingerprint: string; orderId: string }
  | { state: 'retryable'; fingerprint: string; orderId: string }
  | { state: 'done'; fingerprint: string; orderId: string; status: number; body: unknown };

export type BeginResult =
  | { kind: 'claimed'; orderId: string }
  | { kind: 'existing'; record: IdempotencyRecord }
  | { kind: 'admission_used'; orderId: string; status: string };

export type TransitionResult = { kind: 'ok'; version: number } | { kind: 'conflict'; status: string } | { kind: 'missing' };

export interface TransitionInput {
  to: OrderStatus;
  ttlMs: number;
  binding: 'keep' | 'clear';
  holdExpiresAt?: number;
  fields?: Record<string, string | number>;
  nowMs: number;
}

/**
 * The gateway's Redis state: orders (hashes), idempotency records and admission bindings. Row
 * shapes stay in here; callers see Order and the result unions. Every mutation is one Lua script.
 */
export class OrderStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: GatewayKeys,
  ) {
    this.redis = registerScripts(redis);
  }

  async begin(
    input: { promotionId: string; shopperId: string; jti: string; idempotencyKey: string; fingerprint: string; candidateOrderId: string },
    nowMs: number,
    inFlightTtlMs: number,
  ): Promise<BeginResult> {
    const res = (await this.redis.gwBeginOrder(
      this.keys.idempotency(input.promotionId, input.shopperId, input.idempotencyKey),
      this.keys.admission(input.promotionId, input.jti),
      input.fingerprint,
      input.candidateOrderId,
      nowMs,
      inFlightTtlMs,
    )) as string[];
    if (res[0] === 'ok') return { kind: 'claimed', orderId: res[1] as string };
    if (res[0] === 'jti') return { kind: 'admission_used', orderId: res[1] as string, status: res[2] as string };
    return { kind: 'existing', record: JSON.parse(res[1] as string) as IdempotencyRecord };
  }

  /** Records the placement's outcome; `order` only when the hold was taken. */
  async finish(
    input: { promotionId: string; shopperId: string; jti: string; idempotencyKey: string; orderId: string },
    outcome:
      | { mode: 'created'; order: Order; record: IdempotencyRecord; recordTtlMs: number; orderTtlMs: number }
      | { mode: 'rejected' | 'retryable'; record: IdempotencyRecord; recordTtlMs: number },
  ): Promise<void> {
    const k = [
      this.keys.idempotency(input.promotionId, input.shopperId, input.idempotencyKey),
      this.keys.admission(input.promotionId, input.jti),
      this.keys.order(input.promotionId, input.orderId),
    ];
    const common = [input.orderId, outcome.mode, JSON.stringify(outcome.record), outcome.recordTtlMs];
    if (outcome.mode === 'created') {
      await this.redis.gwFinishOrder(...k, ...common, outcome.orderTtlMs, outcome.order.holdExpiresAt, ...toHash(outcome.order));
    } else {
      await this.redis.gwFinishOrder(...k, ...common, 0, 0);
    }
  }

  async get(promotionId: string, orderId: string): Promise<Order | null> {
    const h = await this.redis.hgetall(this.keys.order(promotionId, orderId));
    return fromHash(h);
  }

  /**
   * Keeps the confirming index in step with the order. The index key lives in another cluster slot
   * than the order, so it cannot join the transition script: it is written BEFORE a confirm lock is
   * taken (a crash in between leaves an entry the sweeper drops on sight, never a stuck order it cannot
   * find) and cleared AFTER a terminal transition (a crash in between leaves the same harmless entry).
   */
  async transition(order: Order, input: TransitionInput): Promise<TransitionResult> {
    const lockAt = input.to === 'confirming' ? Number(input.fields?.confirmingSince ?? 0) : 0;
    if (lockAt > 0) await this.markConfirming(order.promotionId, order.orderId, lockAt);
    const res = await this.transitionOnly(order, input);
    if (res.kind === 'ok' && order.status === 'confirming' && input.to !== 'confirming' && input.to !== 'held') {
      await this.unmarkConfirming(order.promotionId, order.orderId);
    }
    return res;
  }

  /** (Re)indexes an order as confirming; the sweeper looks at it once `score` is older than the lock. */
  async markConfirming(promotionId: string, orderId: string, score: number): Promise<void> {
    await this.redis.zadd(this.keys.confirming(), score, `${promotionId}\n${orderId}`);
  }

  async unmarkConfirming(promotionId: string, orderId: string): Promise<void> {
    await this.redis.zrem(this.keys.confirming(), `${promotionId}\n${orderId}`);
  }

  /** Up to `limit` indexed confirming orders whose score is at or before `maxScore`, oldest first. */
  async confirmingBefore(maxScore: number, limit: number): Promise<{ promotionId: string; orderId: string }[]> {
    const members = await this.redis.zrangebyscore(this.keys.confirming(), '-inf', maxScore, 'LIMIT', 0, limit);
    return members.map((m) => {
      const at = m.lastIndexOf('\n');
      return { promotionId: m.slice(0, at), orderId: m.slice(at + 1) };
    });
  }

  private async transitionOnly(order: Order, input: TransitionInput): Promise<TransitionResult> {
    const extra: (string | number)[] = [];
    for (const [k, v] of Object.entries(input.fields ?? {})) extra.push(k, v);
    const res = (await this.redis.gwTransitionOrder(
      this.keys.order(order.promotionId, order.orderId),
      this.keys.admission(order.promotionId, order.jti),
      order.version,
      input.to,
      input.ttlMs,
      input.binding,
      input.holdExpiresAt ?? '',
      input.nowMs,
      ...extra,
    )) as [number, number?, string?];
    if (res[0] === 1) return { kind: 'ok', version: res[1] as number };
    if (res[0] === 0) return { kind: 'conflict', status: res[2] ?? 'unknown' };
    return { kind: 'missing' };
  }
}

function toHash(o: Order): string[] {
  const out = [
    'orderId',
    o.orderId,
    'promotionId',
    o.promotionId,
    'shopperId',
    o.shopperId,
    'jti',
    o.jti,
    'holdId',
    o.holdId,
    'status',
    o.status,
    'lines',
    JSON.stringify(o.lines),
    'amountCents',
    String(o.amountCents),
    'holdExpiresAt',
    String(o.holdExpiresAt),
    'createdAt',
    String(o.createdAt),
    'updatedAt',
    String(o.updatedAt),
    'version',
    String(o.version),
  ];
  return out;
}

function fromHash(h: Record<string, string>): Order | null {
  if (!h.orderId || !h.status || !(ORDER_STATUSES as readonly string[]).includes(h.status)) return null;
  return {
    orderId: h.orderId,
    promotionId: h.promotionId ?? '',
    shopperId: h.shopperId ?? '',
    jti: h.jti ?? '',
    holdId: h.holdId ?? '',
    status: h.status as OrderStatus,
    lines: JSON.parse(h.lines ?? '[]') as HeldLine[],
    amountCents: Number(h.amountCents),
    holdExpiresAt: Number(h.holdExpiresAt),
    createdAt: Number(h.createdAt),
    updatedAt: Number(h.updatedAt),
    version: Number(h.version),
    ...(h.paymentReference ? { paymentReference: h.paymentReference } : {}),
    ...(h.paymentKey ? { paymentKey: h.paymentKey } : {}),
    ...(h.refunded === '1' ? { refunded: true } : {}),
    ...(h.prepared === '1' ? { prepared: true } : {}),
    ...(h.confirmingSince && h.confirmingSince !== '0' ? { confirmingSince: Number(h.confirmingSince) } : {}),
    ...(h.statusReason ? { statusReason: h.statusReason } : {}),
  };
}
