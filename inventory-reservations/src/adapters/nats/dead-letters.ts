import type { NatsNames } from '@flashgate/shared/contracts';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { PROMOTION_ID } from '../../domain/hold.js';

/** Headers the orders consumer puts on a dead-lettered order (and a replay on the republished one). */
export const deadLetterHeader = {
  reason: 'Fg-Dead-Reason',
  detail: 'Fg-Dead-Detail',
  originalSubject: 'Fg-Original-Subject',
  originalSequence: 'Fg-Original-Sequence',
  /** The order's JetStream message id (the hold id), so a replay is deduplicated like the original. */
  originalMsgId: 'Fg-Original-Msg-Id',
  replayedFrom: 'Fg-Replayed-From',
} as const;

export const deadLetterReasons = ['malformed', 'invalid', 'rejected'] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];

export interface DeadLetter {
  seq: number;
  deadAt: string;
  reason: string | null;
  detail: string | null;
  originalSubject: string | null;
  originalSequence: number | null;
  holdId: string | null;
  orderId: string | null;
  promotionId: string | null;
  /** Where, and under which message id, a replay publishes it; null when that cannot be known safely. */
  replay: { subject: string; msgId: string } | null;
  /** The message body as text (first 4 KB). */
  payload: string;
}

export type ReplayOutcome =
  | { outcome: 'replayed'; seq: number; subject: string; msgId: string; orderSequence: number }
  | { outcome: 'duplicate'; seq: number; msgId: string }
  | { outcome: 'not_replayable' | 'not_found'; seq: number };

interface Stored {
  seq: number;
  time: Date;
  headers: MsgHdrs | undefined;
  data: Uint8Array;
}

const decoder = new TextDecoder();
const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);

/** Reads a dead letter's headers and (if it is JSON) the order ids in its body. */
export function describeDeadLetter(names: NatsNames, s: Stored): DeadLetter {
  const raw = decoder.decode(s.data);
  let body: Record<string, unknown> = {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
  } catch {
    // malformed: only the headers can say where it came from
  }
  const h = (name: string) => text(s.headers?.get(name));
  const originalSubject = h(deadLetterHeader.originalSubject);
  const promotionId = text(body.promotionId);
  const holdId = text(body.holdId);
  // Only ever publish into the orders stream's own subjects, whatever a header says.
  const base = names.subjects.orderConfirmed('');
  const fromHeader = originalSubject?.startsWith(base) && PROMOTION_ID.test(originalSubject.slice(base.length)) ? originalSubject : null;
  const subject = fromHeader ?? (promotionId && PROMOTION_ID.test(promotionId) ? names.subjects.orderConfirmed(promotionId) : null);
  // Orders are published with msgID = holdId; older dead letters lack the header, their body has it.
  const msgId = h(deadLetterHeader.originalMsgId) ?? holdId;
  const sequence = Number(h(deadLetterHeader.originalSequence));
  return {
    seq: s.seq,
    deadAt: s.time.toISOString(),
    reason: h(deadLetterHeader.reason),
    detail: h(deadLetterHeader.detail),
    originalSubject,
    originalSequence: Number.isSafeInteger(sequence) && sequence > 0 ? sequence : null,
    holdId,
    orderId: text(body.orderId),
    promotionId,
    replay: subject && msgId ? { subject, msgId } : null,
    payload: raw.slice(0, 4096),
  };
}

/**
 * Reads dead letters after sequence `after` (oldest first) with a short-lived ordered consumer, up
 * to `limit` matching `reason` and none past `upTo`. `nextAfter` is set when more may follow.
 */
async function scan(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: NatsNames,
  q: { after: number; limit: number; reason?: DeadLetterReason; upTo?: number },
): Promise<{ found: Stored[]; nextAfter: number | null }> {
  const { state } = await jsm.streams.info(names.streams.deadLetters);
  const upTo = Math.min(q.upTo ?? state.last_seq, state.last_seq);
  if (state.messages === 0 || upTo <= q.after) return { found: [], nextAfter: null };
  const consumer = await js.consumers.get(names.streams.deadLetters, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(q.after + 1, state.first_seq),
  });
  const found: Stored[] = [];
  let last = q.after;
  let more = true;
  while (more && found.length < q.limit) {
    const batch = await consumer.fetch({ max_messages: 100, expires: 1_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      if (m.seq > upTo) {
        more = false;
      } else {
        last = m.seq;
        if (!q.reason || m.headers?.get(deadLetterHeader.reason) === q.reason) {
          found.push({ seq: m.seq, time: m.time, headers: m.headers, data: m.data });
        }
        more = m.info.pending > 0 && m.seq < upTo;
      }
      if (!more || found.length >= q.limit) {
        batch.stop();
        break;
      }
    }
    if (got === 0) more = false;
  }
  return { found, nextAfter: more ? last : null };
}

export async function listDeadLetters(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: NatsNames,
  q: { after: number; limit: number; reason?: DeadLetterReason },
): Promise<{ deadLetters: DeadLetter[]; nextAfter: number | null }> {
  const r = await scan(js, jsm, names, q);
  return { deadLetters: r.found.map((s) => describeDeadLetter(names, s)), nextAfter: r.nextAfter };
}

/**
 * Publishes a dead letter back into the orders stream under its original message id, then removes
 * it from the dead letters. Inside the orders stream's duplicate window JetStream drops it as a
 * duplicate (it is kept, to replay later); after it, the consumer's ON CONFLICT and ledger make a
 * replay of an order Postgres already has a no-op. Deleting after publishing means a crash in
 * between leaves a dead letter whose replay is such a no-op, never a lost order.
 */
async function replayStored(js: JetStreamClient, jsm: JetStreamManager, names: NatsNames, s: Stored): Promise<ReplayOutcome> {
  const target = describeDeadLetter(names, s).replay;
  if (!target) return { outcome: 'not_replayable', seq: s.seq };
  const h = natsHeaders();
  h.set(deadLetterHeader.replayedFrom, String(s.seq));
  const ack = await js.publish(target.subject, s.data, { msgID: target.msgId, headers: h, expect: { streamName: names.streams.orders } });
  if (ack.duplicate) return { outcome: 'duplicate', seq: s.seq, msgId: target.msgId };
  await jsm.streams.deleteMessage(names.streams.deadLetters, s.seq, false).catch((err: unknown) => {
    // Another replay of the same dead letter deleted it first.
    if (!/no message found|not found/i.test(String((err as Error).message))) throw err;
  });
  return { outcome: 'replayed', seq: s.seq, subject: target.subject, msgId: target.msgId, orderSequence: ack.seq };
}

export async function replayDeadLetter(js: JetStreamClient, jsm: JetStreamManager, names: NatsNames, seq: number): Promise<ReplayOutcome> {
  const m = await jsm.streams.getMessage(names.streams.deadLetters, { seq });
  if (!m) return { outcome: 'not_found', seq };
  return replayStored(js, jsm, names, { seq: m.seq, time: m.time, headers: m.header, data: m.data });
}

/**
 * Replays every dead letter there was when it started (optionally only one reason). A message
 * dead-lettered again meanwhile (its cause is not fixed) is left for the operator, not looped on.
 */
export async function replayAllDeadLetters(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: NatsNames,
  reason?: DeadLetterReason,
): Promise<ReplayOutcome[]> {
  const upTo = (await jsm.streams.info(names.streams.deadLetters)).state.last_seq;
  const outcomes: ReplayOutcome[] = [];
  let after = 0;
  for (;;) {
    const page = await scan(js, jsm, names, { after, limit: 100, reason, upTo });
    for (const s of page.found) outcomes.push(await replayStored(js, jsm, names, s));
    if (page.nextAfter === null) return outcomes;
    after = page.nextAfter;
  }
}
