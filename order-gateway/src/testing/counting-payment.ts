import { createRedis } from '@flashgate/shared/clients';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import { redisLedger, type SimLedger } from '../adapters/payment/sim-ledger.js';
import { SimulatedPaymentProvider } from '../adapters/payment/simulated-payment-provider.js';
import { gatewayKeys } from '../adapters/redis/keys.js';
import type { ChargeRequest } from '../domain/payment-provider.js';

/**
 * The simulated provider, counting every charge call that reaches it (idempotent repeats included)
 * and the charges they answered. Give two instances one Redis ledger to play one provider seen by two gateway processes.
 */
export class CountingPaymentProvider extends SimulatedPaymentProvider {
  readonly charged = new Map<string, number>();
  /** Every payment reference a charge call answered, whatever its key: distinct ones are distinct charges. */
  readonly references = new Set<string>();

  constructor(ledger?: SimLedger) {
    super({ latencyMs: 0, declineRate: 0, ...(ledger ? { ledger } : {}) });
  }

  override async charge(req: ChargeRequest, signal?: AbortSignal) {
    this.charged.set(req.idempotencyKey, (this.charged.get(req.idempotencyKey) ?? 0) + 1);
    const result = await super.charge(req, signal);
    if (result.ok) this.references.add(result.paymentReference);
    return result;
  }
}

/**
 * One provider as every gateway process sees it: an instance per process (`instance()`), all on one
 * ledger in Redis under a prefix of its own, as a real provider's records are shared by all callers.
 */
export function sharedProvider(redisUrl = testServers().redisUrl) {
  const redis = createRedis(redisUrl, { name: 'payment-provider-test' });
  const prefix = uniqueName('pay');
  const ledger = redisLedger(redis, gatewayKeys(prefix));
  const instances: CountingPaymentProvider[] = [];
  return {
    ledger,
    instance: () => {
      const p = new CountingPaymentProvider(ledger);
      instances.push(p);
      return p;
    },
    /** Distinct charges ever made, across every instance and key. */
    chargesMade: () => new Set(instances.flatMap((p) => [...p.references])).size,
    /** Refunds of `ref` that moved money, across instances (a repeat is a no-op at the provider). */
    refundsMade: (ref: string) => instances.filter((p) => p.refunds.has(ref)).length,
    close: async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
