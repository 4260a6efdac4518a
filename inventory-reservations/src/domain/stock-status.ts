import type { StockStatusEvent } from '@flashgate/shared/contracts';

export interface SkuStock {
  available: number;
  held: number;
  confirmed: number;
}

/** Sums a promotion's SKUs; sold out is final only when nothing is available and nothing is held. */
export function stockStatus(promotionId: string, skus: SkuStock[], at = Date.now()): StockStatusEvent {
  const sum = (k: keyof SkuStock) => skus.reduce((n, s) => n + Math.max(0, s[k]), 0);
  const available = sum('available');
  const held = sum('held');
  return { promotionId, available, held, confirmed: sum('confirmed'), soldOut: available === 0 && held === 0, at };
}
