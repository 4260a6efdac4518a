import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import type { NatsNames } from './nats.js';

/**
 * The promotions stream, declared once: waiting-room (the producer) and inventory-reservations (the
 * consumer, durable `consumers.promotionsToInventory`) both call ensurePromotionsStream at start, so
 * whichever starts first creates it with the same settings.
 *
 * One message per subject (`max_msgs_per_subject: 1`): the stream holds the latest snapshot of each
 * promotion, so a consumer created late still learns every promotion. The duplicate window makes the
 * producer's periodic re-publish with msgID `${id}:${version}` a no-op inside the window; after it a
 * re-sent version replaces itself, which consumers ignore because they apply only newer versions.
 */
export function promotionsStreamConfig(names: NatsNames): Partial<StreamConfig> & { name: string } {
  return {
    name: names.streams.promotions,
    subjects: [names.subjects.promotionSnapshotAll],
    storage: 'file',
    retention: 'limits',
    discard: 'old',
    max_msgs_per_subject: 1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msg_size: -1,
    max_consumers: -1,
    num_replicas: 1,
    duplicate_window: 120 * 1_000_000_000, // 2 min, in nanoseconds
  };
}

/** Creates the promotions stream, or brings an existing one's subjects and per-subject limit in line. */
export async function ensurePromotionsStream(jsm: JetStreamManager, names: NatsNames): Promise<void> {
  const cfg = promotionsStreamConfig(names);
  let existing: StreamConfig;
  try {
    existing = (await jsm.streams.info(cfg.name)).config;
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      await jsm.streams.add(cfg);
      return;
    } catch (addErr) {
      // Another node created it between our info and add.
      if (!/already in use|already exists/i.test(String((addErr as Error).message))) throw addErr;
      existing = (await jsm.streams.info(cfg.name)).config;
    }
  }
  const subjects = cfg.subjects ?? [];
  const drifted =
    existing.max_msgs_per_subject !== cfg.max_msgs_per_subject ||
    existing.subjects.length !== subjects.length ||
    existing.subjects.some((s, i) => s !== subjects[i]);
  if (drifted) {
    await jsm.streams.update(cfg.name, { subjects, max_msgs_per_subject: cfg.max_msgs_per_subject });
  }
}

function isStreamNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'StreamNotFoundError' || /stream not found/i.test(String(e?.message ?? ''));
}
