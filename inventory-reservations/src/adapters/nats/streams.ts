import { type NatsNames, ensurePromotionsStream } from '@flashgate/shared/contracts';
import { AckPolicy, DeliverPolicy, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';

const NANOS = 1_000_000;

export function ordersStreamConfig(names: NatsNames, duplicateWindowMs: number): Partial<StreamConfig> & { name: string } {
  return {
    name: names.streams.orders,
    subjects: [names.subjects.orderConfirmedAll],
    storage: 'file',
    retention: 'limits',
    // The dedup window must outlast the gateway's confirm retries, so a retried publish with the
    // same hold id is dropped by the server; Postgres' unique hold id catches anything later.
    duplicate_window: duplicateWindowMs * NANOS,
    num_replicas: 1,
  };
}

export function deadLettersStreamConfig(names: NatsNames): Partial<StreamConfig> & { name: string } {
  return { name: names.streams.deadLetters, subjects: [names.subjects.orderDeadLetter], storage: 'file', num_replicas: 1 };
}

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
    await jsm.streams.update(cfg.name, cfg);
  } catch (err) {
    if (!/not found/i.test(String((err as Error).message))) throw err;
    try {
      await jsm.streams.add(cfg);
    } catch (addErr) {
      if (!/already in use|already exists/i.test(String((addErr as Error).message))) throw addErr;
    }
  }
}

async function ensureDurable(jsm: JetStreamManager, stream: string, name: string, ackWaitMs: number, maxAckPending: number): Promise<void> {
  const cfg = {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitMs * NANOS,
    max_ack_pending: maxAckPending,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.info(stream, name);
    await jsm.consumers.update(stream, name, { ack_wait: cfg.ack_wait, max_ack_pending: maxAckPending });
  } catch (err) {
    if (!/not found/i.test(String((err as Error).message))) throw err;
    try {
      await jsm.consumers.add(stream, cfg);
    } catch (addErr) {
      // Another node created it between our info and add (same definition).
      if (!/already (in use|exists)/i.test(String((addErr as Error).message))) throw addErr;
    }
  }
}

/** Declares every stream and durable consumer this service uses; idempotent, safe on every node. */
export async function ensureInventoryStreams(
  jsm: JetStreamManager,
  names: NatsNames,
  opts: { duplicateWindowMs: number; ordersAckWaitMs: number; ordersMaxAckPending: number },
): Promise<void> {
  await ensurePromotionsStream(jsm, names);
  await ensureStream(jsm, ordersStreamConfig(names, opts.duplicateWindowMs));
  await ensureStream(jsm, deadLettersStreamConfig(names));
  await ensureDurable(jsm, names.streams.orders, names.consumers.ordersToPostgres, opts.ordersAckWaitMs, opts.ordersMaxAckPending);
  await ensureDurable(jsm, names.streams.promotions, names.consumers.promotionsToInventory, 30_000, 100);
}

/** Removes this prefix's streams (tests). */
export async function deleteInventoryStreams(jsm: JetStreamManager, names: NatsNames): Promise<void> {
  for (const s of [names.streams.orders, names.streams.deadLetters, names.streams.promotions]) {
    await jsm.streams.delete(s).catch(() => undefined);
  }
}
