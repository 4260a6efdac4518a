import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type ConfirmReply,
  type HoldReply,
  type NatsNames,
  type PrepareReply,
  type ReleaseReply,
  type StockReply,
  confirmRequestSchema,
  holdBatchRequestSchema,
  holdRequestSchema,
  type InventoryVerb,
  prepareRequestSchema,
  releaseRequestSchema,
  stockRequestSchema,
} from '@flashgate/shared/contracts';

/**
 * A test double of the OTHER service (inventory-reservations), not of NATS: real subscriptions on
 * the real server answering the contract in shared/src/contracts/inventory.ts over an in-memory Map.
 * All-or-nothing holds, per-shopper limits across a shopper's live holds, idempotent per orderId.
 */
export interface TestProduct {
  sku: string;
  stock: number;
  perShopperLimit: number;
  priceCents: number;
}

interface Hold {
  holdId: string;
  orderId: string;
  promotionId: string;
  shopperId: string;
  lines: { sku: string; quantity: number; unitPriceCents: number }[];
  expiresAt: number;
  state: 'held' | 'prepared' | 'confirmed' | 'released';
}

type Verb = InventoryVerb;

export interface TestInventory {
  requests: Record<Verb, number>;
  totalRequests: () => number;
  available: (promotionId: string, sku: string) => number;
  holds: Map<string, Hold>;
  /** Lets a test steer the next replies (e.g. confirm → HOLD_EXPIRED, or a slow hold). */
  behaviour: {
    confirmOutcome?: 'HOLD_EXPIRED' | 'UNAVAILABLE';
    holdDelayMs?: number;
    holdTtlMs: number;
    prepareWindowMs: number;
    unavailableSku?: string;
  };
  stop: () => Promise<void>;
}

export async function startTestInventory(
  nc: NatsConnection,
  names: NatsNames,
  promotions: Record<string, TestProduct[]>,
  opts: { now?: () => number } = {},
): Promise<TestInventory> {
  const now = opts.now ?? Date.now;
  const stock = new Map<string, Map<string, TestProduct & { available: number }>>();
  for (const [p, products] of Object.entries(promotions)) stock.set(p, new Map(products.map((x) => [x.sku, { ...x, available: x.stock }])));
  const holds = new Map<string, Hold>();
  const byOrder = new Map<string, Hold>();
  const requests: Record<Verb, number> = { hold: 0, holds: 0, prepare: 0, confirm: 0, release: 0, stock: 0 };
  const behaviour: TestInventory['behaviour'] = { holdTtlMs: 60_000, prepareWindowMs: 60_000 };
  let seq = 0;

  // Holds whose time ran out give their stock back (what the real service's sweeper does).
  const sweep = () => {
    for (const h of holds.values()) {
      if ((h.state === 'held' || h.state === 'prepared') && h.expiresAt <= now()) giveBack(h);
    }
  };
  const giveBack = (h: Hold) => {
    for (const l of h.lines) {
      const p = stock.get(h.promotionId)?.get(l.sku);
      if (p) p.available += l.quantity;
    }
    h.state = 'released';
  };

  const hold = async (raw: unknown): Promise<HoldReply> => {
    if (behaviour.holdDelayMs) await new Promise((r) => setTimeout(r, behaviour.holdDelayMs));
    const req = holdRequestSchema.safeParse(raw);
    if (!req.success) return { ok: false, outcome: 'INVALID', message: 'bad hold request' };
    sweep();
    const { orderId, promotionId, shopperId, lines } = req.data;
    if (lines.some((l) => l.sku === behaviour.unavailableSku)) return { ok: false, outcome: 'UNAVAILABLE', message: 'storage failed' };
    const prior = byOrder.get(orderId);
    if (prior) {
      if (prior.state === 'released') return { ok: false, outcome: 'HOLD_RELEASED', message: 'this order id already held' };
      return reply(prior, true);
    }
    const products = stock.get(promotionId);
    if (!products) return { ok: false, outcome: 'PROMOTION_NOT_FOUND', message: 'no such promotion' };
    for (const l of lines) {
      const p = products.get(l.sku);
      if (!p) return { ok: false, outcome: 'UNKNOWN_SKU', sku: l.sku, message: `unknown sku ${l.sku}` };
      let mine = 0;
      for (const h of holds.values()) {
        if (h.shopperId === shopperId && h.promotionId === promotionId && h.state !== 'released') {
          mine += h.lines.filter((x) => x.sku === l.sku).reduce((a, x) => a + x.quantity, 0);
        }
      }
      if (mine + l.quantity > p.perShopperLimit) return { ok: false, outcome: 'LIMIT_EXCEEDED', sku: l.sku, message: 'over the limit' };
      if (p.available < l.quantity) return { ok: false, outcome: 'SOLD_OUT', sku: l.sku, message: `${l.sku} is sold out` };
    }
    const h: Hold = {
      holdId: `hold-${++seq}`,
      orderId,
      promotionId,
      shopperId,
      lines: lines.map((l) => ({ ...l, unitPriceCents: products.get(l.sku)?.priceCents ?? 0 })),
      expiresAt: now() + behaviour.holdTtlMs,
      state: 'held',
    };
    for (const l of lines) (products.get(l.sku) as { available: number }).available -= l.quantity;
    holds.set(h.holdId, h);
    byOrder.set(orderId, h);
    return reply(h, false);
  };
  const reply = (h: Hold, replayed: boolean): HoldReply => ({
    ok: true,
    holdId: h.holdId,
    expiresAt: new Date(h.expiresAt).toISOString(),
    lines: h.lines,
    amountCents: h.lines.reduce((a, l) => a + l.quantity * l.unitPriceCents, 0),
    replayed,
  });

  const prepare = async (raw: unknown): Promise<PrepareReply> => {
    const req = prepareRequestSchema.safeParse(raw);
    if (!req.success) return { ok: false, outcome: 'INVALID', message: 'bad prepare request' };
    sweep();
    const h = holds.get(req.data.holdId);
    if (!h) return { ok: false, outcome: 'HOLD_NOT_FOUND', message: 'no such hold' };
    if (h.state === 'released') return { ok: false, outcome: 'HOLD_EXPIRED', message: 'hold expired' };
    if (h.state === 'confirmed') return { ok: false, outcome: 'HOLD_CONFIRMED', message: 'already confirmed' };
    h.state = 'prepared';
    h.expiresAt = Math.max(h.expiresAt, now() + behaviour.prepareWindowMs);
    return { ok: true, holdId: h.holdId, expiresAt: new Date(h.expiresAt).toISOString() };
  };

  const confirm = async (raw: unknown): Promise<ConfirmReply> => {
    const req = confirmRequestSchema.safeParse(raw);
    if (!req.success) return { ok: false, outcome: 'INVALID', message: 'bad confirm request' };
    sweep();
    const h = holds.get(req.data.holdId);
    if (!h) return { ok: false, outcome: 'HOLD_NOT_FOUND', message: 'no such hold' };
    if (behaviour.confirmOutcome === 'UNAVAILABLE') return { ok: false, outcome: 'UNAVAILABLE', message: 'storage failed' };
    if (behaviour.confirmOutcome === 'HOLD_EXPIRED' && h.state !== 'confirmed') {
      giveBack(h);
      return { ok: false, outcome: 'HOLD_EXPIRED', message: 'hold expired' };
    }
    if (h.state === 'released') return { ok: false, outcome: 'HOLD_RELEASED', message: 'hold released' };
    h.state = 'confirmed';
    return { ok: true, holdId: h.holdId, confirmedAt: new Date(now()).toISOString() };
  };

  const release = async (raw: unknown): Promise<ReleaseReply> => {
    const req = releaseRequestSchema.safeParse(raw);
    if (!req.success) return { ok: false, outcome: 'INVALID', message: 'bad release request' };
    const h = holds.get(req.data.holdId);
    if (!h) return { ok: false, outcome: 'HOLD_NOT_FOUND', message: 'no such hold' };
    if (h.state === 'confirmed') return { ok: false, outcome: 'HOLD_CONFIRMED', message: 'confirmed' };
    if (h.state === 'released') return { ok: true, released: false };
    giveBack(h);
    return { ok: true, released: true };
  };

  const stockReply = async (raw: unknown): Promise<StockReply> => {
    const req = stockRequestSchema.safeParse(raw);
    if (!req.success) return { ok: false, outcome: 'INVALID', message: 'bad stock request' };
    const products = stock.get(req.data.promotionId);
    if (!products) return { ok: false, outcome: 'PROMOTION_NOT_FOUND', message: 'no such promotion' };
    return {
      ok: true,
      promotionId: req.data.promotionId,
      products: [...products.values()].map((p) => ({
        sku: p.sku,
        name: p.sku,
        priceCents: p.priceCents,
        perShopperLimit: p.perShopperLimit,
        initialStock: p.stock,
        available: p.available,
        held: 0,
        confirmed: 0,
      })),
    };
  };

  // A batch is its holds one after another, each answered on its own (as the real service does).
  const holdsBatch = async (raw: unknown): Promise<unknown> => {
    const req = holdBatchRequestSchema.safeParse(raw);
    if (!req.success) return { ok: false, outcome: 'INVALID', message: 'bad hold batch' };
    // `requests.hold` counts holds that reached inventory, batched or not.
    requests.hold += req.data.holds.length;
    const replies: HoldReply[] = [];
    for (const h of req.data.holds) replies.push(await hold(h));
    return { ok: true, replies };
  };

  const handlers: Record<Verb, (raw: unknown) => Promise<unknown>> = {
    hold,
    holds: holdsBatch,
    prepare,
    confirm,
    release,
    stock: stockReply,
  };
  const subs: Subscription[] = [];
  for (const verb of Object.keys(handlers) as Verb[]) {
    const sub = nc.subscribe(names.subjects.inventoryRequest(verb), { queue: names.queueGroups.inventory });
    subs.push(sub);
    void (async () => {
      for await (const m of sub) {
        requests[verb]++;
        void handlers[verb](m.json()).then((r) => m.respond(JSON.stringify(r)));
      }
    })();
  }
  await nc.flush();

  return {
    requests,
    totalRequests: () => Object.values(requests).reduce((a, b) => a + b, 0),
    available: (p, sku) => stock.get(p)?.get(sku)?.available ?? Number.NaN,
    holds,
    behaviour,
    stop: async () => {
      for (const s of subs) s.unsubscribe();
      await nc.flush();
    },
  };
}
