import type { PromotionProduct } from '@flashgate/shared/contracts';

/**
 * A promotion as the waiting room works with it. Postgres is its source of truth; every node keeps
 * a cached copy that a change notification refreshes within a second.
 */
export interface Promotion {
  id: string;
  name: string;
  cancelled: boolean;
  /** Emergency stop set by marketing: the queue keeps its order, admission halts. */
  paused: boolean;
  prequeueOpensAt: Date;
  windowStart: Date;
  windowEnd: Date;
  admissionRatePerSec: number;
  /** Most shoppers admitted and still holding a live admission token at once. */
  maxActiveShoppers: number;
  tokenTtlSeconds: number;
  graceSeconds: number;
  products: PromotionProduct[];
  version: number;
  /**
   * The phase this version was written (and its snapshot published) in. When time moves the promotion
   * into another phase (the window opens or ends) a new version records it, so consumers of snapshots
   * learn it too. Optional so hand-built promotions in tests need not set it.
   */
  publishedPhase?: PromotionPhase;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a promotion stands at a moment, from its schedule and flags (stock is known elsewhere). */
export type PromotionPhase = 'scheduled' | 'prequeue' | 'open' | 'paused' | 'closed' | 'cancelled';

export function phaseAt(
  p: Pick<Promotion, 'cancelled' | 'paused' | 'prequeueOpensAt' | 'windowStart' | 'windowEnd'>,
  now: Date,
): PromotionPhase {
  if (p.cancelled) return 'cancelled';
  if (now >= p.windowEnd) return 'closed';
  if (now < p.prequeueOpensAt) return 'scheduled';
  if (now < p.windowStart) return 'prequeue';
  return p.paused ? 'paused' : 'open';
}

/** Read side used by the queue engine; implemented over Postgres with an in-process cache. */
export interface PromotionDirectory {
  get(id: string): Promise<Promotion | undefined>;
  /** Called (on every node) within a second of any change to a promotion. */
  onChange(listener: (promotionId: string) => void): () => void;
}
