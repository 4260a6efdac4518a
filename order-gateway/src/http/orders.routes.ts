import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { AppError } from '@flashgate/shared/errors';
import { type AppEnv, parseJsonBody, parseParams } from '@flashgate/shared/http';
import type { AdmissionVerifier } from '../adapters/auth/admission-verifier.js';
import { authError } from '../adapters/auth/admission-verifier.js';
import type { Bulkhead } from '../adapters/resilience.js';
import { requestFingerprint } from '../domain/fingerprint.js';
import type { TokenBuckets } from '../domain/token-bucket.js';
import type { Answer, OrderServiceDeps } from '../services/deps.js';
import { cancelOrder, confirmOrder, getOrder } from '../services/order-lifecycle.service.js';
import { placeOrder } from '../services/place-order.service.js';
import { requireAdmission } from './auth.js';
import { readJsonBody } from './json-body.js';
import { confirmBodySchema, IDEMPOTENCY_KEY, orderParamsSchema, placeOrderBodySchema } from './order.schemas.js';

export interface OrderRoutesDeps {
  services: OrderServiceDeps;
  verifier: AdmissionVerifier;
  bulkheads: { place: Bulkhead; confirm: Bulkhead };
  limits: { global: TokenBuckets; shopper: TokenBuckets };
}

function send(c: Context<AppEnv>, answer: Answer) {
  return c.json(answer.body as object, answer.status as 200, answer.headers);
}

function rateLimited(limit: 'global' | 'shopper', retryAfterSeconds: number): AppError {
  return new AppError('RATE_LIMITED', 'too many requests; slow down', {
    status: 429,
    details: { limit },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

export function mountOrderRoutes(app: Hono<AppEnv>, deps: OrderRoutesDeps): void {
  const { services, verifier, bulkheads, limits } = deps;
  const { metrics } = services;

  app.post('/orders', async (c) => {
    const globalWait = limits.global.take('*', services.now());
    if (globalWait > 0) {
      metrics.rateLimited.inc({ limit: 'global' });
      throw rateLimited('global', globalWait);
    }
    const admission = await requireAdmission(c, verifier, metrics);
    const { claims } = admission;
    const shopperWait = limits.shopper.take(`${claims.promotion_id}\n${claims.sub}`, services.now());
    if (shopperWait > 0) {
      metrics.rateLimited.inc({ limit: 'shopper' });
      throw rateLimited('shopper', shopperWait);
    }
    const idempotencyKey = c.req.header('idempotency-key');
    if (idempotencyKey === undefined) {
      throw new AppError('IDEMPOTENCY_KEY_MISSING', 'the Idempotency-Key header is required to create an order', { status: 400 });
    }
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new AppError('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters', { status: 400 });
    }
    const body = await readJsonBody(c, placeOrderBodySchema);
    if (body.promotionId !== claims.promotion_id) {
      metrics.authRejections.inc({ reason: 'PROMOTION_MISMATCH' });
      throw authError('PROMOTION_MISMATCH', 'the admission token is for another promotion');
    }
    // Line order carries no meaning: sort so a retry that lists lines differently is the same request.
    const lines = [...body.lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
    const fingerprint = requestFingerprint('POST', '/orders', { promotionId: body.promotionId, lines });
    // The socket, not the request: a request stream is destroyed as soon as its body has been read.
    // Node's HTTP server ends the socket when the client closes its side, so no answer could reach it.
    const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket;
    const clientGone = socket ? () => socket.destroyed || !socket.writable : undefined;
    const answer = await bulkheads.place.run(() =>
      placeOrder(services, {
        claims,
        idempotencyKey,
        fingerprint,
        promotionId: body.promotionId,
        lines,
        requestId: c.get('requestId'),
        clientGone,
      }),
    );
    return send(c, answer);
  });

  app.get('/orders/:id', async (c) => {
    const admission = await requireAdmission(c, verifier, metrics, { allowExpired: true });
    const { id } = parseParams(c.req.param(), orderParamsSchema);
    return send(c, await getOrder(services, admission, id));
  });

  app.post('/orders/:id/confirm', async (c) => {
    const admission = await requireAdmission(c, verifier, metrics, { allowExpired: true });
    const { id } = parseParams(c.req.param(), orderParamsSchema);
    // The body is optional: an empty one means "no payment method given".
    const hasBody = (await c.req.text()).trim().length > 0;
    const body = hasBody ? await parseJsonBody(c, confirmBodySchema) : {};
    return send(c, await bulkheads.confirm.run(() => confirmOrder(services, admission, id, body.paymentMethod)));
  });

  app.post('/orders/:id/cancel', async (c) => {
    const admission = await requireAdmission(c, verifier, metrics, { allowExpired: true });
    const { id } = parseParams(c.req.param(), orderParamsSchema);
    return send(c, await bulkheads.confirm.run(() => cancelOrder(services, admission, id)));
  });
}
