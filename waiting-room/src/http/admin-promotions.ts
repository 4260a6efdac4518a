import { AppError, validationError } from '@flashgate/shared/errors';
import { type AppEnv, parseJsonBody, parseParams } from '@flashgate/shared/http';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type Promotion, phaseAt } from '../domain/promotion.js';
import { createPromotionSchema, patchPromotionSchema, promotionIdSchema } from '../domain/promotion-input.js';
import type { RuleOutcome, Transition } from '../domain/promotion-rules.js';
import type { PromotionService } from '../domain/promotion-service.js';

/** The promotion as the admin API shows it: stored fields plus the live `state`. */
export function promotionView(p: Promotion, now: Date) {
  return {
    id: p.id,
    name: p.name,
    state: phaseAt(p, now),
    paused: p.paused,
    cancelled: p.cancelled,
    prequeueOpensAt: p.prequeueOpensAt.toISOString(),
    windowStart: p.windowStart.toISOString(),
    windowEnd: p.windowEnd.toISOString(),
    admissionRatePerSec: p.admissionRatePerSec,
    maxActiveShoppers: p.maxActiveShoppers,
    tokenTtlSeconds: p.tokenTtlSeconds,
    graceSeconds: p.graceSeconds,
    products: p.products,
    version: p.version,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

const STATUS = { invalid: 400, conflict: 409, not_found: 404 } as const;

function unwrap(outcome: RuleOutcome<Promotion>): Promotion {
  if (outcome.ok) return outcome.value;
  if (outcome.kind === 'invalid') throw validationError(outcome.issues, outcome.message);
  throw new AppError(outcome.code, outcome.message, {
    status: STATUS[outcome.kind],
    details: outcome.issues.length > 0 ? { issues: outcome.issues } : undefined,
  });
}

/** Marketing's promotion routes; mounted under /admin behind adminAuth. */
export function adminPromotionRoutes(service: PromotionService, clock: () => Date = () => new Date()) {
  const r = new Hono<AppEnv>();
  // 100 products with long names fit in a few tens of KiB; anything far larger is a mistake or an attack.
  r.use('*', bodyLimit({ maxSize: 256 * 1024 }));
  const idOf = (raw: string) => parseParams({ id: raw }, promotionIdSchema).id;

  r.post('/promotions', async (c) => {
    const input = await parseJsonBody(c, createPromotionSchema);
    const p = unwrap(await service.create(input));
    c.header('Location', `/admin/promotions/${p.id}`);
    return c.json(promotionView(p, clock()), 201);
  });

  r.get('/promotions', async (c) => {
    const now = clock();
    return c.json({ promotions: (await service.list()).map((p) => promotionView(p, now)) });
  });

  r.get('/promotions/:id', async (c) => {
    const id = idOf(c.req.param('id'));
    const p = await service.get(id);
    if (!p) throw new AppError('PROMOTION_NOT_FOUND', `no promotion ${id}`, { status: 404 });
    return c.json(promotionView(p, clock()));
  });

  r.patch('/promotions/:id', async (c) => {
    const id = idOf(c.req.param('id'));
    const patch = await parseJsonBody(c, patchPromotionSchema);
    return c.json(promotionView(unwrap(await service.patch(id, patch)), clock()));
  });

  for (const transition of ['pause', 'resume', 'cancel'] as const satisfies Transition[]) {
    r.post(`/promotions/:id/${transition}`, async (c) => {
      const id = idOf(c.req.param('id'));
      return c.json(promotionView(unwrap(await service.transition(id, transition)), clock()));
    });
  }
  return r;
}
