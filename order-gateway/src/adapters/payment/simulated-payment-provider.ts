import { randomUUID } from 'node:crypto';
import type { ChargeRequest, ChargeResult, PaymentProvider } from '../../domain/payment-provider.js';

/** Payment methods the simulated provider understands (for tests and demos). */
export const SIM_CARDS = {
  approve: 'sim_card_approve',
  decline: 'sim_card_decline',
  /** The provider itself fails (throws), as a real one does when it is down. */
  error: 'sim_card_error',
} as const;

/**
 * SIMULATED payment provider — moves no money. Waits `latencyMs`, then approves or declines (at
 * `declineRate`, or deterministically with one of SIM_CARDS). Idempotent per key within this
 * process, like a real provider's idempotency keys; refunds are recorded.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';
  private readonly charges = new Map<string, ChargeResult>();
  readonly refunds = new Set<string>();

  constructor(private readonly opts: { latencyMs: number; declineRate: number; random?: () => number; maxRemembered?: number }) {}

  async charge(req: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
    await sleep(this.opts.latencyMs, signal);
    const seen = this.charges.get(req.idempotencyKey);
    if (seen) return seen;
    if (req.paymentMethod === SIM_CARDS.error) throw new Error('simulated payment provider failure');
    const decline =
      req.paymentMethod === SIM_CARDS.decline ||
      (req.paymentMethod !== SIM_CARDS.approve && (this.opts.random ?? Math.random)() < this.opts.declineRate);
    const result: ChargeResult = decline
      ? { ok: false, outcome: 'DECLINED', reason: 'card declined (simulated)' }
      : { ok: true, paymentReference: `sim_${randomUUID()}` };
    if (this.charges.size >= (this.opts.maxRemembered ?? 100_000)) this.charges.clear();
    this.charges.set(req.idempotencyKey, result);
    return result;
  }

  async refund(paymentReference: string, signal?: AbortSignal): Promise<void> {
    await sleep(this.opts.latencyMs, signal);
    this.refunds.add(paymentReference);
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
