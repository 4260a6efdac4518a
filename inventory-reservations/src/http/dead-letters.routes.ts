import { AppError, dependencyUnavailable } from '@flashgate/shared/errors';
import { type AppEnv, parseParams } from '@flashgate/shared/http';
import type { Hono } from 'hono';
import { z } from 'zod';
import { type DeadLetter, type DeadLetterReason, deadLetterReasons, type ReplayOutcome } from '../adapters/nats/dead-letters.js';

export interface DeadLetterRouteDeps {
  list: (q: {
    after: number;
    limit: number;
    reason?: DeadLetterReason;
  }) => Promise<{ deadLetters: DeadLetter[]; nextAfter: number | null }>;
  replay: (seq: number) => Promise<ReplayOutcome>;
  replayAll: (reason?: DeadLetterReason) => Promise<ReplayOutcome[]>;
  /** The orders stream's duplicate window: how long a replay of a recent message is dropped. */
  duplicateWindowSeconds: number;
}

const seq = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));
const reason = z.enum(deadLetterReasons).optional();
const listQuery = z.object({
  after: seq(Number.MAX_SAFE_INTEGER).default(0),
  limit: seq(500).pipe(z.number().min(1)).default(100),
  reason,
});
const seqParams = z.object({ seq: seq(Number.MAX_SAFE_INTEGER).pipe(z.number().min(1)) });

/** NATS failures are the dependency's, not the request's. */
const viaNats = <T>(p: Promise<T>) =>
  p.catch((err: unknown) => {
    throw err instanceof AppError ? err : dependencyUnavailable('nats', err);
  });

/** Operator path for orders the consumer dead-lettered; mounted behind the admin auth. */
export function mountDeadLetterRoutes(app: Hono<AppEnv>, d: DeadLetterRouteDeps): void {
  app.get('/admin/dead-letters', async (c) => c.json(await viaNats(d.list(parseParams(c.req.query(), listQuery)))));

  app.post('/admin/dead-letters/replay', async (c) => {
    const q = parseParams(c.req.query(), z.object({ reason }));
    const outcomes = await viaNats(d.replayAll(q.reason));
    const seqs = (o: ReplayOutcome['outcome']) => outcomes.filter((x) => x.outcome === o).map((x) => x.seq);
    return c.json({ replayed: seqs('replayed'), duplicate: seqs('duplicate'), notReplayable: seqs('not_replayable') });
  });

  app.post('/admin/dead-letters/:seq/replay', async (c) => {
    const { seq: n } = parseParams(c.req.param(), seqParams);
    const r = await viaNats(d.replay(n));
    if (r.outcome === 'not_found') throw new AppError('DEAD_LETTER_NOT_FOUND', `no dead letter ${n}`, { status: 404 });
    if (r.outcome === 'not_replayable') {
      throw new AppError('DEAD_LETTER_NOT_REPLAYABLE', `dead letter ${n} names no order subject or message id to replay it under`, {
        status: 409,
      });
    }
    if (r.outcome === 'duplicate') {
      throw new AppError(
        'REPLAY_DEDUPLICATED',
        `the orders stream saw message id ${r.msgId} within its ${d.duplicateWindowSeconds} s duplicate window; the dead letter is kept, replay it after that`,
        { status: 409, details: { msgId: r.msgId }, headers: { 'Retry-After': String(d.duplicateWindowSeconds) } },
      );
    }
    return c.json(r);
  });
}
