import { randomUUID } from 'node:crypto';
import {
  type ConfirmReply,
  confirmRequestSchema,
  type HoldBatchReply,
  type HoldReply,
  holdBatchRequestSchema,
  holdRequestSchema,
  type InventoryVerb,
  type NatsNames,
  type PrepareReply,
  prepareRequestSchema,
  type ReleaseReply,
  releaseRequestSchema,
  type StockReply,
  stockRequestSchema,
} from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { holdFailureMessages, mergeLines, PROMOTION_ID, replayOutcome } from '../../domain/hold.js';
import type { InventoryMetrics } from '../../metrics.js';
import type { InventoryStore } from '../redis/inventory.store.js';
import { publishConfirmedOrder } from './order-publisher.js';

export interface HandlerDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  names: NatsNames;
  store: InventoryStore;
  metrics: InventoryMetrics;
  logger: Logger;
  publishTimeoutMs: number;
  onStockChanged: (promotionId: string) => void;
}

type Verb = InventoryVerb;
type Reply = { ok: boolean; outcome?: string };

const decoder = new TextDecoder();
const invalid = (message: string) => ({ ok: false as const, outcome: 'INVALID' as const, message });
const unavailable = { ok: false as const, outcome: 'UNAVAILABLE' as const, message: 'inventory storage is unavailable; retry' };

function parse<S extends z.ZodType>(m: Msg, schema: S): { ok: true; value: z.output<S> } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(m.data));
  } catch {
    return { ok: false, message: 'request is not valid JSON' };
  }
  return validate(raw, schema);
}

function validate<S extends z.ZodType>(raw: unknown, schema: S): { ok: true; value: z.output<S> } | { ok: false; message: string } {
  const r = schema.safeParse(raw);
  if (!r.success) return { ok: false, message: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  const promotionId = (r.data as { promotionId?: unknown }).promotionId;
  if (typeof promotionId === 'string' && !PROMOTION_ID.test(promotionId)) {
    return { ok: false, message: 'promotionId: only letters, digits, "_" and "-" are allowed' };
  }
  return { ok: true, value: r.data };
}

/**
 * Every verb answers with a value: INVALID for a bad payload (nothing touched), UNAVAILABLE when
 * Redis or JetStream fails, the business outcome otherwise. Handlers never throw to NATS.
 */
export function createHandlers(d: HandlerDeps): Record<Verb, (m: Msg) => Promise<Reply>> {
  /** One hold, from its already-decoded JSON (alone or as one item of a batch). */
  async function holdOne(raw: unknown): Promise<HoldReply> {
    const started = performance.now();
    const reply = await (async (): Promise<HoldReply> => {
      const p = validate(raw, holdRequestSchema);
      if (!p.ok) return invalid(p.message);
      const req = p.value;
      const r = await d.store.hold(req.promotionId, randomUUID(), req.orderId, req.shopperId, mergeLines(req.lines));
      if (!r.ok) return { ok: false, outcome: r.outcome, sku: r.sku, message: holdFailureMessages[r.outcome] };
      const replay = replayOutcome(r.state);
      if (replay !== 'OK') return { ok: false, outcome: replay, message: holdFailureMessages[replay] };
      if (!r.replayed) d.onStockChanged(req.promotionId);
      return {
        ok: true,
        holdId: r.holdId,
        expiresAt: new Date(r.expiresAt).toISOString(),
        lines: r.lines,
        amountCents: r.amountCents,
        ...(r.replayed ? { replayed: true } : {}),
      };
    })().catch((err: unknown) => {
      d.logger.warn({ err }, 'hold failed');
      return unavailable;
    });
    d.metrics.holds.inc({ outcome: reply.ok ? 'held' : reply.outcome });
    d.metrics.holdLatency.observe((performance.now() - started) / 1000);
    return reply;
  }

  return {
    async hold(m) {
      let raw: unknown;
      try {
        raw = JSON.parse(decoder.decode(m.data));
      } catch {
        return invalid('request is not valid JSON');
      }
      return holdOne(raw);
    },

    async holds(m): Promise<HoldBatchReply> {
      const p = parse(m, holdBatchRequestSchema);
      if (!p.ok) return invalid(p.message);
      // Concurrently: their Lua scripts share Redis writes (auto-pipelining), and each answers alone.
      return { ok: true, replies: await Promise.all(p.value.holds.map(holdOne)) };
    },

    async prepare(m): Promise<PrepareReply> {
      const p = parse(m, prepareRequestSchema);
      if (!p.ok) return invalid(p.message);
      const { promotionId, holdId, orderId } = p.value;
      const r = await d.store.prepare(promotionId, holdId, orderId);
      if (!r.ok) {
        if (r.outcome === 'HOLD_EXPIRED') d.onStockChanged(promotionId);
        return { ok: false, outcome: r.outcome, message: `hold is ${r.outcome.slice(5).toLowerCase()}` };
      }
      return { ok: true, holdId, expiresAt: new Date(r.expiresAt).toISOString() };
    },

    async confirm(m): Promise<ConfirmReply> {
      const p = parse(m, confirmRequestSchema);
      if (!p.ok) return invalid(p.message);
      const { promotionId, holdId, orderId, paymentReference } = p.value;
      const r = await d.store.confirm(promotionId, holdId, orderId, paymentReference);
      if (!r.ok) return { ok: false, outcome: r.outcome, message: `hold is ${r.outcome.slice(5).toLowerCase()}` };
      d.onStockChanged(promotionId);
      if (r.unpublished) {
        try {
          await publishConfirmedOrder(d.js, d.names, r.hold, d.publishTimeoutMs);
          await d.store.markPublished(promotionId, [holdId]);
        } catch (err) {
          // The hold is confirmed and listed as unpublished: the republisher (or a retried confirm) sends it.
          d.metrics.publishFailures.inc();
          d.logger.warn({ err, holdId }, 'order publish failed; left for the republisher');
          return { ok: false, outcome: 'UNAVAILABLE', message: 'order confirmed but not yet recorded; retry the confirm' };
        }
      }
      return { ok: true, holdId, confirmedAt: new Date(r.hold.confirmedAt).toISOString() };
    },

    async release(m): Promise<ReleaseReply> {
      const p = parse(m, releaseRequestSchema);
      if (!p.ok) return invalid(p.message);
      const { promotionId, holdId, reason } = p.value;
      const r = await d.store.release(promotionId, holdId, reason);
      if (!r.ok) return { ok: false, outcome: r.outcome, message: r.outcome === 'HOLD_CONFIRMED' ? 'hold is confirmed' : 'no such hold' };
      if (r.released) d.onStockChanged(promotionId);
      return { ok: true, released: r.released };
    },

    async stock(m): Promise<StockReply> {
      const p = parse(m, stockRequestSchema);
      if (!p.ok) return invalid(p.message);
      const products = await d.store.stock(p.value.promotionId);
      if (!products) return { ok: false, outcome: 'PROMOTION_NOT_FOUND', message: 'no such promotion' };
      // Mid-rebuild the counters are the snapshot's, not yet less what was sold: do not show them.
      if ((await d.store.status(p.value.promotionId)) === 'rebuilding') {
        return { ok: false, outcome: 'UNAVAILABLE', message: 'stock is being rebuilt from Postgres' };
      }
      return { ok: true, promotionId: p.value.promotionId, products };
    },
  };
}

/** Subscribes every verb in the inventory queue group, so each request reaches exactly one node. */
export function subscribeHandlers(d: HandlerDeps): { stop: () => Promise<void> } {
  const handlers = createHandlers(d);
  const subs: Subscription[] = [];
  for (const verb of Object.keys(handlers) as Verb[]) {
    const handle = handlers[verb];
    subs.push(
      d.nc.subscribe(d.names.subjects.inventoryRequest(verb), {
        queue: d.names.queueGroups.inventory,
        callback: (err, m) => {
          if (err) {
            d.logger.warn({ err, verb }, 'inventory subscription error');
            return;
          }
          void handle(m)
            .catch((e: unknown) => {
              d.logger.warn({ err: e, verb }, 'inventory request failed');
              return unavailable as Reply;
            })
            .then((reply) => {
              d.metrics.requests.inc({ verb, outcome: reply.ok ? 'ok' : (reply.outcome ?? 'error') });
              if (m.reply) m.respond(JSON.stringify(reply));
            });
        },
      }),
    );
  }
  return {
    stop: async () => {
      await Promise.all(subs.map((s) => s.drain()));
    },
  };
}
