import type { Logger } from '@flashgate/shared/logger';
import type { Promotion } from '../../domain/promotion.js';
import type { PromotionSource } from '../../domain/promotion-directory.js';
import type { PromotionPublisher } from '../../domain/promotion-service.js';
import type { NatsPromotionChanges } from './promotion-changes.js';
import type { PromotionSnapshotPublisher } from './promotion-snapshots.js';

/**
 * Announces a written promotion version: cache invalidation to every node, snapshot to inventory.
 * Outbox-lite: Postgres already holds the version when this runs, so a failed publish is only
 * logged — the republisher sends the latest snapshot of every live promotion again on a timer,
 * and the message id makes the repeats harmless.
 */
export class NatsPromotionPublisher implements PromotionPublisher {
  readonly #changes: NatsPromotionChanges;
  readonly #snapshots: PromotionSnapshotPublisher;
  readonly #logger: Logger;

  constructor(deps: { changes: NatsPromotionChanges; snapshots: PromotionSnapshotPublisher; logger: Logger }) {
    this.#changes = deps.changes;
    this.#snapshots = deps.snapshots;
    this.#logger = deps.logger;
  }

  async published(p: Promotion): Promise<void> {
    this.#changes.announce({ promotionId: p.id, version: p.version });
    try {
      await this.#snapshots.publish(p);
    } catch (err) {
      this.#logger.warn(
        { err: (err as Error).message, promotionId: p.id, version: p.version, dependency: 'nats' },
        'promotion snapshot not published; the republisher will retry',
      );
    }
  }
}

/** Re-sends the latest snapshot of every live promotion; returns how many the stream took as new. */
export async function republishSnapshots(
  source: PromotionSource,
  snapshots: PromotionSnapshotPublisher,
  logger: Logger,
): Promise<{ sent: number; fresh: number; failed: number }> {
  const result = { sent: 0, fresh: 0, failed: 0 };
  const live = await source.listLive();
  for (const [i, p] of live.entries()) {
    try {
      const { duplicate } = await snapshots.publish(p);
      result.sent++;
      if (!duplicate) result.fresh++;
    } catch (err) {
      // NATS is most likely down: waiting out a timeout per promotion would only delay the next round.
      result.failed = live.length - i;
      logger.debug({ err: (err as Error).message, promotionId: p.id }, 'republish failed');
      break;
    }
  }
  if (result.failed > 0) logger.warn(result, 'promotion snapshots not republished; will retry');
  return result;
}
