import type { Redis } from 'ioredis';
import type { ChargeResult } from '../../domain/payment-provider.js';
import type { GatewayKeys } from '../redis/keys.js';

/**
 * Where the simulated provider keeps what a real provider keeps on its side: each charge under its
 * idempotency key (first outcome wins) and each refund under its payment reference.
 */
export interface SimLedger {
  /** Stores `result` under `key` unless a charge is already there; answers the stored (first) one. */
  putCharge(key: string, result: ChargeResult): Promise<ChargeResult>;
  getCharge(key: string): Promise<ChargeResult | null>;
  /** true only the first time `paymentReference` is refunded. */
  putRefund(paymentReference: string): Promise<boolean>;
  isRefunded(paymentReference: string): Promise<boolean>;
}

/**
 * In this process only: a restarted gateway, or another worker, does not see these charges (and
 * would charge again). For unit tests and single-process demos.
 */
export function memoryLedger(maxRemembered = 100_000): SimLedger {
  const charges = new Map<string, ChargeResult>();
  const refunds = new Set<string>();
  return {
    async putCharge(key, result) {
      const seen = charges.get(key);
      if (seen) return seen;
      if (charges.size >= maxRemembered) charges.clear();
      charges.set(key, result);
      return result;
    },
    async getCharge(key) {
      return charges.get(key) ?? null;
    },
    async putRefund(ref) {
      if (refunds.has(ref)) return false;
      refunds.add(ref);
      return true;
    },
    async isRefunded(ref) {
      return refunds.has(ref);
    },
  };
}

/**
 * In Redis under the gateway's key builder: shared by every gateway process and surviving a restart,
 * as a real provider's records do. Kept `keepMs` (default 24 h, Stripe's idempotency-key window).
 */
export function redisLedger(redis: Redis, keys: GatewayKeys, keepMs = 86_400_000): SimLedger {
  return {
    async putCharge(key, result) {
      // One command: set if absent, else hand back what is there (SET NX GET, Redis ≥ 7.0).
      const prev = await redis.set(keys.simCharge(key), JSON.stringify(result), 'PX', keepMs, 'NX', 'GET');
      return prev === null ? result : (JSON.parse(prev) as ChargeResult);
    },
    async getCharge(key) {
      const raw = await redis.get(keys.simCharge(key));
      return raw === null ? null : (JSON.parse(raw) as ChargeResult);
    },
    async putRefund(ref) {
      return (await redis.set(keys.simRefund(ref), '1', 'PX', keepMs, 'NX')) === 'OK';
    },
    async isRefunded(ref) {
      return (await redis.exists(keys.simRefund(ref))) === 1;
    },
  };
}
