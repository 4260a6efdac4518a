import type { NatsNames } from '@flashgate/shared/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import type { PromotionChange, PromotionChangeFeed } from '../../domain/promotion-directory.js';

const changeSchema = z.object({ promotionId: z.string().min(1), version: z.number().int().min(1) });

/**
 * Core NATS fan-out of "promotion X is now at version N": every node subscribes without a queue
 * group, so each one reloads its cache. At-most-once is enough: the directory's periodic full
 * reload repairs a lost notification.
 */
export class NatsPromotionChanges implements PromotionChangeFeed {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #onError: (err: unknown, context: string) => void;

  constructor(nc: NatsConnection, names: NatsNames, onError: (err: unknown, context: string) => void = () => {}) {
    this.#nc = nc;
    this.#subject = names.subjects.promotionChanged;
    this.#onError = onError;
  }

  announce(change: PromotionChange): void {
    try {
      this.#nc.publish(this.#subject, JSON.stringify(change));
    } catch (err) {
      this.#onError(err, 'announce promotion change');
    }
  }

  subscribe(handler: (change: PromotionChange) => void): () => void {
    const sub = this.#nc.subscribe(this.#subject, {
      callback: (err, msg) => {
        if (err) return this.#onError(err, 'promotion change subscription');
        let data: unknown;
        try {
          data = msg.json();
        } catch (parseErr) {
          return this.#onError(parseErr, 'promotion change is not JSON');
        }
        const parsed = changeSchema.safeParse(data);
        if (!parsed.success) return this.#onError(parsed.error, 'promotion change has the wrong shape');
        handler(parsed.data);
      },
    });
    return () => sub.unsubscribe();
  }

  /** Resolves once the server has our subscriptions, so a test (or a start-up) cannot miss the next change. */
  flush(): Promise<void> {
    return this.#nc.flush();
  }
}
