import type { QueueState } from '@flashgate/shared/contracts';
import type { PromotionPhase } from './promotion.js';

/** The promotion-wide state every waiting shopper is shown (an admitted shopper sees `admitted`). */
export function queueStateFor(phase: PromotionPhase, soldOut: boolean): QueueState {
  switch (phase) {
    case 'scheduled':
    case 'prequeue':
      return soldOut ? 'sold_out' : 'prequeue';
    case 'open':
      return soldOut ? 'sold_out' : 'waiting';
    case 'paused':
      return soldOut ? 'sold_out' : 'paused';
    case 'closed':
    case 'cancelled':
      return 'closed';
  }
}

/** States after which nothing more will happen in the line. */
export function isFinalState(state: QueueState): boolean {
  return state === 'sold_out' || state === 'closed';
}
