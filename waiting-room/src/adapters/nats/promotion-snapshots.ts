import { ensurePromotionsStream, type NatsNames } from '@flashgate/shared/contracts';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Promotion } from '../../domain/promotion.js';
import { snapshotMsgId, toSnapshot } from '../../domain/promotion-snapshot.js';

export type SnapshotPublishResult = 'stored' | 'duplicate' | 'failed';

/**
 * Hands promotions to inventory-reservations over JetStream: subject promotionSnapshot(id), message
 * id `${id}:${version}` so the stream drops a re-sent version inside its duplicate window.
 */
export class PromotionSnapshotPublisher {
  readonly #nc: NatsConnection;
  readonly #names: NatsNames;
  readonly #js: JetStreamClient;
  readonly #onResult: (result: SnapshotPublishResult) => void;
  #streamReady = false;

  constructor(nc: NatsConnection, names: NatsNames, onResult: (result: SnapshotPublishResult) => void = () => {}) {
    this.#nc = nc;
    this.#names = names;
    this.#onResult = onResult;
    this.#js = jetstream(nc, { timeout: 2_000 });
  }

  async ensureStream(): Promise<void> {
    await ensurePromotionsStream(await jetstreamManager(this.#nc, { timeout: 2_000 }), this.#names);
    this.#streamReady = true;
  }

  /** Throws when NATS is unreachable; callers log and rely on the republisher. */
  async publish(p: Promotion, now = new Date()): Promise<{ duplicate: boolean }> {
    try {
      if (!this.#streamReady) await this.ensureStream();
      const ack = await this.#js.publish(this.#names.subjects.promotionSnapshot(p.id), JSON.stringify(toSnapshot(p, now)), {
        msgID: snapshotMsgId(p),
      });
      this.#onResult(ack.duplicate ? 'duplicate' : 'stored');
      return { duplicate: ack.duplicate };
    } catch (err) {
      this.#onResult('failed');
      // The server may have come back without the stream (a fresh NATS): check it again next time.
      this.#streamReady = false;
      throw err;
    }
  }
}
