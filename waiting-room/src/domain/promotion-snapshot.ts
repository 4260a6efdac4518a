import type { PromotionSnapshot, PromotionStatus } from '@flashgate/shared/contracts';
import { type Promotion, type PromotionPhase, phaseAt } from './promotion.js';

const STATUS: Record<PromotionPhase, PromotionStatus> = {
  scheduled: 'scheduled',
  prequeue: 'prequeue',
  open: 'open',
  paused: 'paused',
  closed: 'closed',
  cancelled: 'cancelled',
};

/**
 * The snapshot inventory-reservations receives. `status` is the phase the version was written in;
 * when time moves a promotion into another phase the service writes a new version for it
 * (PromotionService.advancePhases), so the latest snapshot's status is current within a tick.
 */
export function toSnapshot(p: Promotion, now: Date): PromotionSnapshot {
  return {
    promotionId: p.id,
    version: p.version,
    name: p.name,
    status: STATUS[p.publishedPhase ?? phaseAt(p, now)],
    windowStart: p.windowStart.toISOString(),
    windowEnd: p.windowEnd.toISOString(),
    products: p.products,
    publishedAt: now.toISOString(),
  };
}

/** JetStream message id: one per promotion version, so re-publishing a version is deduplicated. */
export const snapshotMsgId = (p: Pick<Promotion, 'id' | 'version'>) => `${p.id}:${p.version}`;
