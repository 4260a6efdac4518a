import { Gauge, type Registry } from '@flashgate/shared/metrics';
import { type Promotion, type PromotionPhase, phaseAt } from './promotion.js';

const PHASES: readonly PromotionPhase[] = ['scheduled', 'prequeue', 'open', 'paused', 'closed', 'cancelled'];

/**
 * `promotions{state}`: cached promotions by phase at scrape time; the label set is the six phases.
 * Every cluster.js worker caches the same promotions, so the workers' counts merge by max, not sum.
 */
export function registerPromotionStateGauge(registry: Registry, list: () => Promotion[], clock: () => Date = () => new Date()) {
  return new Gauge({
    name: 'promotions',
    help: 'Promotions known to this node, by state (promotions long closed are not counted)',
    labelNames: ['state'] as const,
    aggregator: 'max',
    registers: [registry],
    collect() {
      const counts = new Map<PromotionPhase, number>(PHASES.map((p) => [p, 0]));
      const now = clock();
      for (const p of list()) {
        const phase = phaseAt(p, now);
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
}
