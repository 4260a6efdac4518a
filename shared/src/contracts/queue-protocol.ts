import { z } from 'zod';

/**
 * The shopper ↔ waiting-room protocol, shared by the server, the queue page and the bench.
 *
 * Every shopper in line holds a ticket: a monotonic number per promotion (pre-queue joiners get
 * theirs at the random draw when the window opens). Admission proceeds in ticket order, so one
 * broadcast per promotion — the admission head plus how many tickets behind it have left — lets
 * every client compute its own position (positionFromTick). The server serialises each tick once
 * and sends the same bytes to every socket of the promotion.
 */
export const queueStateSchema = z.enum(['prequeue', 'waiting', 'admitted', 'paused', 'sold_out', 'closed']);
export type QueueState = z.infer<typeof queueStateSchema>;

/** Client → server. The first frame must be `hello`. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), visitorToken: z.string().min(1).max(2048).optional() }),
  z.object({ type: z.literal('leave') }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/** Tickets that left the line, counted per bucket of `bucketSize` tickets starting after `from`. */
export const goneSummarySchema = z.object({
  from: z.number().int(),
  bucketSize: z.number().int().min(1),
  counts: z.array(z.number().int().min(0)),
});
export type GoneSummary = z.infer<typeof goneSummarySchema>;

export const tickFrameSchema = z.object({
  type: z.literal('tick'),
  promotionId: z.string(),
  state: queueStateSchema,
  /** Server time (epoch ms) the tick was computed: clients measure staleness against it. */
  at: z.number(),
  /** Every ticket ≤ this has been admitted or has left. */
  admittedThrough: z.number().int().min(0),
  /** Shoppers still waiting in line. */
  waiting: z.number().int().min(0),
  /** Measured admissions per second over the last window (not the configured rate). */
  admissionRatePerSec: z.number().min(0),
  gone: goneSummarySchema,
  /** When the pre-queue draw happens / the window opens (ISO-8601). */
  windowStart: z.string(),
});
export type TickFrame = z.infer<typeof tickFrameSchema>;

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    promotionId: z.string(),
    shopperId: z.string(),
    visitorToken: z.string(),
    /** null while in the pre-queue: the ticket is drawn when the window opens. */
    ticket: z.number().int().nullable(),
    state: queueStateSchema,
    /** Exact shoppers ahead at join/reconnect time (the server's own count). */
    ahead: z.number().int().min(0).nullable(),
    at: z.number(),
  }),
  tickFrameSchema,
  z.object({ type: z.literal('ticket'), ticket: z.number().int().min(1), at: z.number() }),
  z.object({
    type: z.literal('admitted'),
    admissionToken: z.string(),
    expiresAt: z.string(),
    at: z.number(),
  }),
  z.object({ type: z.literal('pong'), at: z.number() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** The polling endpoint's answer (GET /queue/:promotionId/status): the same facts the frames carry. */
export interface QueueStatus {
  state: QueueState;
  ticket: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  admissionRatePerSec: number;
  at: number;
  admissionToken?: string;
  expiresAt?: string;
}

/**
 * Shoppers ahead of `ticket`: the tickets between the admission head and it, less those that left
 * (within a partly-counted bucket, pro rata). Exact for the buckets wholly ahead; error within one
 * bucket is bounded by that bucket's count, which the server corrects with each tick.
 */
export function positionFromTick(ticket: number, tick: Pick<TickFrame, 'admittedThrough' | 'gone'>): number {
  if (ticket <= tick.admittedThrough) return 0;
  let between = ticket - tick.admittedThrough - 1;
  const { from, bucketSize, counts } = tick.gone;
  for (let i = 0; i < counts.length; i++) {
    const start = from + i * bucketSize + 1; // first ticket of bucket i
    const end = start + bucketSize - 1;
    const count = counts[i] ?? 0;
    if (end < ticket) between -= count;
    else {
      if (start < ticket) between -= Math.floor((count * (ticket - start)) / bucketSize);
      break;
    }
  }
  return Math.max(0, between);
}

/** Seconds until admission at the measured rate; null when nothing is being admitted. */
export function estimatedWaitSeconds(ahead: number, admissionRatePerSec: number): number | null {
  if (admissionRatePerSec <= 0) return null;
  return Math.ceil(ahead / admissionRatePerSec);
}
