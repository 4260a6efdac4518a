import { type NatsNames, type OrderConfirmedEvent, orderConfirmedEventSchema } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { InventoryMetrics } from '../../metrics.js';
import { insertOrders } from '../db/order.repository.js';
import { deadLetterHeader } from './dead-letters.js';

export interface OrdersConsumerOptions {
  js: JetStreamClient;
  names: NatsNames;
  db: Kysely<any>;
  metrics: InventoryMetrics;
  logger: Logger;
  batchSize: number;
  batchWaitMs: number;
  nakDelayMs: number;
  /**
   * Batches written at once (default 2): the next batch's INSERT runs while the previous one waits
   * on its ledger rows or its commit. Ledger rows are updated in a fixed order, so they do not deadlock.
   */
  parallelBatches?: number;
  /** Test-only: runs after the commit and before the acks; throwing simulates a crash there. */
  afterCommit?: (holdIds: string[]) => Promise<void> | void;
}

export interface OrdersConsumer {
  stop: () => Promise<void>;
  /** Resolves when the consumer stops; rejects if it crashed (the afterCommit hook threw). */
  done: Promise<void>;
}

/** Connection-level and retryable Postgres failures: the batch is nak-ed and comes back later. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = String(e?.code ?? '');
  if (/^(08|40|53|57)/.test(code)) return true; // connection, serialization/deadlock, resources, shutdown
  // Missing table/column/schema or permissions: a deployment problem, not a bad message — retry
  // rather than dead-letter every order until someone runs the migration.
  if (/^(42|3D|3F)/.test(code)) return true;
  if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH)$/.test(code)) return true;
  return /timeout|terminat|Connection|connect/i.test(String(e?.message ?? ''));
}

const decoder = new TextDecoder();

/**
 * Drains the orders stream into Postgres: messages are gathered into batches (up to batchSize,
 * waiting at most batchWaitMs for a batch to fill), each batch is one transaction, and messages
 * are acked only after it commits. A transient failure naks the batch with a delay; any other
 * failure splits the batch so the one bad message is found, terminated and dead-lettered.
 */
export async function startOrdersConsumer(o: OrdersConsumerOptions): Promise<OrdersConsumer> {
  const consumer = await o.js.consumers.get(o.names.streams.orders, o.names.consumers.ordersToPostgres);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: o.batchSize * 2, expires: 5_000 });
  const buffer: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const until = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const reader = (async () => {
    for await (const m of messages) {
      buffer.push(m);
      if (buffer.length === 1 || buffer.length >= o.batchSize) signal();
    }
  })();

  const deadLetter = async (m: JsMsg, reason: string, detail: string) => {
    const h = headers();
    h.set(deadLetterHeader.reason, reason);
    h.set(deadLetterHeader.detail, detail.replace(/\s+/g, ' ').slice(0, 500));
    h.set(deadLetterHeader.originalSubject, m.subject);
    h.set(deadLetterHeader.originalSequence, String(m.seq));
    const msgId = m.headers?.get('Nats-Msg-Id');
    if (msgId) h.set(deadLetterHeader.originalMsgId, msgId);
    try {
      await o.js.publish(o.names.subjects.orderDeadLetter, m.data, { headers: h });
    } catch (err) {
      // Keep the message rather than drop it: it comes back and is dead-lettered when JetStream can.
      o.logger.warn({ err, seq: m.seq }, 'dead-letter publish failed; nak');
      m.nak(o.nakDelayMs);
      return;
    }
    // No reason text: nats-server 2.9 ignores '+TERM <reason>' (the message would come back).
    m.term();
    o.metrics.deadLetters.inc({ reason });
    o.logger.error({ reason, detail, seq: m.seq, subject: m.subject }, 'order message dead-lettered');
  };

  const write = async (batch: JsMsg[]): Promise<void> => {
    const valid: { m: JsMsg; e: OrderConfirmedEvent }[] = [];
    for (const m of batch) {
      let parsed: ReturnType<typeof orderConfirmedEventSchema.safeParse>;
      try {
        parsed = orderConfirmedEventSchema.safeParse(JSON.parse(decoder.decode(m.data)));
      } catch (err) {
        await deadLetter(m, 'malformed', String(err));
        continue;
      }
      if (!parsed.success) await deadLetter(m, 'invalid', parsed.error.message);
      else valid.push({ m, e: parsed.data });
    }
    if (valid.length === 0) return;
    const started = performance.now();
    let fresh: string[];
    try {
      fresh = await insertOrders(
        o.db,
        valid.map((v) => v.e),
      );
    } catch (err) {
      if (isTransient(err)) {
        o.metrics.batchRetries.inc();
        o.logger.warn({ err, size: valid.length }, 'order batch failed; nak with delay');
        for (const v of valid) v.m.nak(o.nakDelayMs);
        return;
      }
      if (valid.length === 1) {
        await deadLetter(valid[0]!.m, 'rejected', err instanceof Error ? err.message : String(err));
        return;
      }
      // One bad order must not hold back the others: retry them one by one to find it.
      for (const v of valid) await write([v.m]);
      return;
    }
    o.metrics.batchLatency.observe((performance.now() - started) / 1000);
    o.metrics.batchSize.observe(valid.length);
    o.metrics.ordersPersisted.inc(fresh.length);
    o.metrics.ordersDuplicate.inc(valid.length - fresh.length);
    await o.afterCommit?.(fresh);
    for (const v of valid) v.m.ack();
  };

  const inFlight = new Set<Promise<void>>();
  let crash: { err: unknown } | undefined;
  const parallel = Math.max(1, o.parallelBatches ?? 2);
  const worker = (async () => {
    while (!stopped) {
      if (buffer.length === 0) await until(1_000);
      else if (buffer.length < o.batchSize && o.batchWaitMs > 0) await until(o.batchWaitMs);
      if (stopped || buffer.length === 0) continue;
      const p = write(buffer.splice(0, o.batchSize));
      inFlight.add(p);
      void p.then(
        () => inFlight.delete(p),
        (err: unknown) => {
          inFlight.delete(p);
          crash ??= { err };
          stopped = true;
          signal();
        },
      );
      if (inFlight.size >= parallel) await Promise.race(inFlight).catch(() => undefined);
    }
    await Promise.allSettled(inFlight);
    if (crash) throw crash.err;
  })();

  const done = worker.then(
    () => undefined,
    async (err: unknown) => {
      o.logger.error({ err }, 'orders consumer stopped on an error; unacked messages will be redelivered');
      stopped = true;
      messages.stop();
      throw err;
    },
  );
  done.catch(() => undefined);

  return {
    done,
    stop: async () => {
      stopped = true;
      signal();
      messages.stop();
      await Promise.allSettled([worker, reader]);
    },
  };
}
