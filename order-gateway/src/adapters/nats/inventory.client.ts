import type { NatsConnection } from '@nats-io/transport-node';
import {
  type ConfirmReply,
  type ConfirmRequest,
  confirmReplySchema,
  type HoldBatchReply,
  holdBatchReplySchema,
  type HoldReply,
  type HoldRequest,
  holdReplySchema,
  type NatsNames,
  type PrepareReply,
  type PrepareRequest,
  prepareReplySchema,
  type ReleaseReply,
  type ReleaseRequest,
  releaseReplySchema,
  type StockReply,
  stockReplySchema,
} from '@flashgate/shared/contracts';
import type { z } from 'zod';
import { DependencyError, type DependencyGuard } from '../resilience.js';
import { holdBatcher } from './hold-batcher.js';

/** Business outcomes come back as values; UNAVAILABLE, timeouts and no-responders throw DependencyError. */
export interface InventoryClient {
  hold(req: HoldRequest): Promise<Exclude<HoldReply, { outcome: 'UNAVAILABLE' }>>;
  prepare(req: PrepareRequest): Promise<Exclude<PrepareReply, { outcome: 'UNAVAILABLE' }>>;
  confirm(req: ConfirmRequest): Promise<Exclude<ConfirmReply, { outcome: 'UNAVAILABLE' }>>;
  release(req: ReleaseRequest): Promise<Exclude<ReleaseReply, { outcome: 'UNAVAILABLE' }>>;
  stock(promotionId: string): Promise<Exclude<StockReply, { outcome: 'UNAVAILABLE' }>>;
}

/**
 * order-gateway's side of the inventory request/reply contract (shared/src/contracts/inventory.ts)
 * over core NATS. One request per call, bounded by `timeoutMs`; no responders fails at once (the
 * server tells us), so "inventory is down" is a 503 in milliseconds, and the breaker then answers
 * without asking NATS at all.
 */
export function natsInventoryClient(
  nc: NatsConnection,
  names: NatsNames,
  guard: DependencyGuard,
  timeoutMs: number,
  /** Up to this many holds per request on the `holds` verb; 1 = one `hold` request per order. */
  holdBatchMax = 1,
): InventoryClient {
  const subjects = {
    hold: names.subjects.inventoryRequest('hold'),
    holds: names.subjects.inventoryRequest('holds'),
    prepare: names.subjects.inventoryRequest('prepare'),
    confirm: names.subjects.inventoryRequest('confirm'),
    release: names.subjects.inventoryRequest('release'),
    stock: names.subjects.inventoryRequest('stock'),
  };

  function call<S extends z.ZodType>(subject: string, payload: unknown, schema: S) {
    return guard.run(async () => {
      const msg = await nc.request(subject, JSON.stringify(payload), { timeout: timeoutMs });
      const parsed = schema.safeParse(msg.json());
      if (!parsed.success) throw new DependencyError('inventory', `inventory sent an invalid reply on ${subject}`, { cause: parsed.error });
      const reply = parsed.data as { ok: boolean; outcome?: string; message?: string };
      if (!reply.ok && reply.outcome === 'UNAVAILABLE') {
        throw new DependencyError('inventory', `inventory is unavailable: ${reply.message ?? ''}`);
      }
      return parsed.data as never;
    });
  }

  const unavailable = (r: { ok: boolean; outcome?: string }) => !r.ok && r.outcome === 'UNAVAILABLE';
  const holdInBatch = holdBatcher<HoldRequest, HoldReply>(
    (holds) =>
      guard.run(
        async () => {
          const msg = await nc.request(subjects.holds, JSON.stringify({ holds }), { timeout: timeoutMs });
          const parsed = holdBatchReplySchema.safeParse(msg.json());
          if (!parsed.success) throw new DependencyError('inventory', `inventory sent an invalid reply on ${subjects.holds}`);
          const reply: HoldBatchReply = parsed.data;
          if (!reply.ok) throw new DependencyError('inventory', `inventory refused the hold batch: ${reply.outcome} ${reply.message}`);
          return reply.replies;
        },
        // Any hold unavailable makes the batch a failed call for the breaker (as that hold's own
        // request was before batching), while the batch's other answers still reach their orders.
        { failedResult: (replies) => replies.some(unavailable) },
      ),
    holdBatchMax,
  );
  const holdOne = async (req: HoldRequest) => {
    const reply = await holdInBatch(req);
    if (unavailable(reply)) throw new DependencyError('inventory', `inventory is unavailable: ${(reply as { message: string }).message}`);
    return reply as Exclude<HoldReply, { outcome: 'UNAVAILABLE' }>;
  };

  return {
    hold: holdBatchMax > 1 ? holdOne : (req) => call(subjects.hold, req, holdReplySchema),
    prepare: (req) => call(subjects.prepare, req, prepareReplySchema),
    confirm: (req) => call(subjects.confirm, req, confirmReplySchema),
    release: (req) => call(subjects.release, req, releaseReplySchema),
    stock: (promotionId) => call(subjects.stock, { promotionId }, stockReplySchema),
  };
}
