import { SimulatedPaymentProvider } from '../adapters/payment/simulated-payment-provider.js';
import type { ChargeRequest } from '../domain/payment-provider.js';

/** The simulated provider, counting every charge call that reaches it (idempotent repeats included). */
export class CountingPaymentProvider extends SimulatedPaymentProvider {
  readonly charged = new Map<string, number>();

  constructor() {
    super({ latencyMs: 0, declineRate: 0 });
  }

  override async charge(req: ChargeRequest, signal?: AbortSignal) {
    this.charged.set(req.idempotencyKey, (this.charged.get(req.idempotencyKey) ?? 0) + 1);
    return super.charge(req, signal);
  }
}
