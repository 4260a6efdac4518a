import { AppError } from '@flashgate/shared/errors';
import { type AppEnv, parseJsonBody, parseParams } from '@flashgate/shared/http';
import { Hono } from 'hono';
import { z } from 'zod';
import type { KeyedRateLimiter } from '../domain/queue-rate-limit.js';
import type { QueueRejection, QueueService } from '../domain/queue-service.js';

const paramsSchema = z.object({ promotionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -') });
const joinBodySchema = z.object({ visitorToken: z.string().min(1).max(2048).optional() }).strict();

function rejection(r: QueueRejection): AppError {
  return new AppError(r.code, r.message, { status: r.status, details: r.details });
}

function clientIp(c: { env: unknown }): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/** Polling clients: the same semantics as the WebSocket, one request at a time. */
export function queueRoutes(deps: { service: QueueService; joinLimiter: KeyedRateLimiter }) {
  const app = new Hono<AppEnv>();

  app.post('/queue/:promotionId/join', async (c) => {
    const { promotionId } = parseParams(c.req.param(), paramsSchema);
    const body = await parseJsonBody(c, joinBodySchema);
    const ip = clientIp(c);
    if (!deps.joinLimiter.take(ip)) {
      const retry = Math.max(1, deps.joinLimiter.retryAfter(ip));
      throw new AppError('RATE_LIMITED', 'too many joins from this address; retry shortly', {
        status: 429,
        headers: { 'Retry-After': String(retry) },
      });
    }
    const result = await deps.service.join(promotionId, body.visitorToken);
    if (!result.ok) throw rejection(result);
    return c.json({
      ...result.welcome,
      ...(result.admission ? { admissionToken: result.admission.token, expiresAt: result.admission.expiresAt } : {}),
    });
  });

  app.get('/queue/:promotionId/status', async (c) => {
    const { promotionId } = parseParams(c.req.param(), paramsSchema);
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S{1,2048})$/i.exec(auth);
    if (!m) throw new AppError('VISITOR_TOKEN_MISSING', 'send Authorization: Bearer <visitorToken>', { status: 401 });
    const result = await deps.service.status(promotionId, m[1] as string);
    if (!result.ok) throw rejection(result);
    c.header('Cache-Control', 'no-store');
    return c.json(result.status);
  });

  return app;
}
