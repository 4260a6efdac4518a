import { randomUUID } from 'node:crypto';
import type { ChargeRequest, ChargeResult, PaymentProvider } from '../../domain/payment-provider.js';
import { memoryLedger, type SimLedger } from './sim-ledger.js';

/** Payment methods the simulated provider understands (for tests and demos). */
export const SIM_CARDS = {
  approve: 'sim_card_approve',
  decline: 'sim_card_decline',
  /** The provider itself fails (throws), as a real one does when it is down. */
  error: 'sim_card_error',
} as const;

/**
 * SIMULATED payment provider — moves no money. Waits `latencyMs`, then approves or declines (at
 * `declineRate`, or deterministically with one of SIM_CARDS). Keyed like a real provider: a charge
 * repeated with its idempotency key answers the first outcome, `findCharge` looks it up, a refund
 * repeated is a no-op. Charges live in `ledger` (the gateway passes the Redis one, shared by all its
 * processes; without it, this process's memory).
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';
  /** References whose (one) refund this instance made; a repeat made elsewhere is not added (a test's view). */
  readonly refunds = new Set<string>();
  readonly ledger: SimLedger;

  constructor(private readonly opts: { latencyMs: number; declineRate: number; random?: () => number; ledger?: SimLedger }) {
    this.ledger = opts.ledger ?? memoryLedger();
  }

  async charge(req: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
    await sleep(this.opts.latencyMs, signal);
    if (req.paymentMethod === SIM_CARDS.error) {
      const seen = await this.ledger.getCharge(req.idempotencyKey);
      if (seen) return seen;
      throw new Error('simulated payment provider failure');
    }
    const decline =
      req.paymentMethod === SIM_CARDS.decline ||
      (req.paymentMethod !== SIM_CARDS.approve && (this.opts.random ?? Math.random)() < this.opts.declineRate);
    const result: ChargeResult = decline
      ? { ok: false, outcome: 'DECLINED', reason: 'card declined (simulated)' }
      : { ok: true, paymentReference: `sim_${randomUUID()}` };
    // One ledger round trip: a repeat (or a racing first charge) gets the stored outcome, not this one.
    return this.ledger.putCharge(req.idempotencyKey, result);
  }

  async findCharge(idempotencyKey: string, signal?: AbortSignal): Promise<ChargeResult | null> {
    await sleep(this.opts.latencyMs, signal);
    return this.ledger.getCharge(idempotencyKey);
  }

  async refund(paymentReference: string, signal?: AbortSignal): Promise<void> {
    await sleep(this.opts.latencyMs, signal);
    if (await this.ledger.putRefund(paymentReference)) this.refunds.add(paymentReference);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason ?? new Error('aborted'));
      },
      { once: true },
    );
  });
}
