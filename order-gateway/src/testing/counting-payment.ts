import { SimulatedPaymentProvider } from '../adapters/payment/simulated-payment-provider.js';
import type { SimLedger } from '../adapters/payment/sim-ledger.js';
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
