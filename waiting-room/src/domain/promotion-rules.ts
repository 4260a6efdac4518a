import type { FieldIssue } from '@flashgate/shared/errors';
import { type Promotion, phaseAt } from './promotion.js';
import { type CreatePromotionInput, DEFAULT_PREQUEUE_LEAD_MS, type PatchPromotionInput } from './promotion-input.js';

/**
 * What marketing may change on a promotion and when. These are expected outcomes, so they come back
 * as values: `invalid` (the request contradicts itself → 400) or `conflict` (fine in itself but not
 * in the promotion's current state → 409).
 */
export type RuleOutcome<T> =
  | { ok: true; value: T; changed: boolean }
  | { ok: false; kind: 'invalid' | 'conflict' | 'not_found'; code: string; message: string; issues: FieldIssue[] };

type Draft = Omit<Promotion, 'version' | 'createdAt' | 'updatedAt'>;

const invalid = (issues: FieldIssue[]) =>
  ({ ok: false, kind: 'invalid', code: 'VALIDATION_FAILED', message: 'request is invalid', issues }) as const;
const conflict = (code: string, message: string, issues: FieldIssue[] = []) =>
  ({ ok: false, kind: 'conflict', code, message, issues }) as const;

/** Schedule and catalogue checks every promotion must pass, whatever changed. */
export function consistencyIssues(d: Pick<Draft, 'prequeueOpensAt' | 'windowStart' | 'windowEnd' | 'products'>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (d.windowEnd <= d.windowStart) issues.push({ path: 'windowEnd', message: 'must be after windowStart' });
  if (d.prequeueOpensAt > d.windowStart) issues.push({ path: 'prequeueOpensAt', message: 'must not be after windowStart' });
  const seen = new Set<string>();
  d.products.forEach((p, i) => {
    if (seen.has(p.sku)) issues.push({ path: `products.${i}.sku`, message: `duplicate SKU "${p.sku}"` });
    seen.add(p.sku);
  });
  return issues;
}

export function newPromotion(input: CreatePromotionInput & { id: string }, now: Date): RuleOutcome<Draft> {
  const draft: Draft = {
    id: input.id,
    name: input.name,
    cancelled: false,
    paused: false,
    prequeueOpensAt: input.prequeueOpensAt ?? new Date(input.windowStart.getTime() - DEFAULT_PREQUEUE_LEAD_MS),
    windowStart: input.windowStart,
    windowEnd: input.windowEnd,
    admissionRatePerSec: input.admissionRatePerSec,
    maxActiveShoppers: input.maxActiveShoppers,
    tokenTtlSeconds: input.tokenTtlSeconds,
    graceSeconds: input.graceSeconds,
    products: input.products,
  };
  const issues = consistencyIssues(draft);
  if (draft.windowEnd <= now) issues.push({ path: 'windowEnd', message: 'must be in the future' });
  return issues.length > 0 ? invalid(issues) : { ok: true, value: draft, changed: true };
}

function editable(p: Promotion, now: Date) {
  const phase = phaseAt(p, now);
  if (phase === 'cancelled') return conflict('PROMOTION_CANCELLED', `promotion ${p.id} is cancelled; cancel is final`);
  if (phase === 'closed') return conflict('PROMOTION_CLOSED', `promotion ${p.id} has closed`);
  return undefined;
}

/** Applies a partial change under the live-change rules (README "Changing a live promotion"). */
export function applyPatch(current: Promotion, patch: PatchPromotionInput, now: Date): RuleOutcome<Promotion> {
  if (Object.values(patch).every((v) => v === undefined)) {
    return invalid([{ path: '(root)', message: 'give at least one field to change' }]);
  }
  const blocked = editable(current, now);
  if (blocked) return blocked;
  const windowOpened = now >= current.windowStart;
  const refused: FieldIssue[] = [];

  if (patch.windowStart !== undefined && !sameTime(patch.windowStart, current.windowStart) && windowOpened) {
    refused.push({ path: 'windowStart', message: 'cannot change once the window has opened' });
  }
  if (patch.prequeueOpensAt !== undefined && !sameTime(patch.prequeueOpensAt, current.prequeueOpensAt) && now >= current.prequeueOpensAt) {
    refused.push({ path: 'prequeueOpensAt', message: 'cannot change once the pre-queue has opened' });
  }
  if (patch.windowEnd !== undefined && patch.windowEnd < current.windowEnd && windowOpened) {
    refused.push({ path: 'windowEnd', message: 'can only be extended once the window has opened (cancel to stop early)' });
  }
  if (patch.products !== undefined && windowOpened) {
    const next = new Map(patch.products.map((p, i) => [p.sku, { p, i }]));
    for (const old of current.products) {
      const kept = next.get(old.sku);
      if (!kept) refused.push({ path: 'products', message: `SKU "${old.sku}" cannot be removed once the window has opened` });
      else if (kept.p.stock < old.stock) {
        refused.push({
          path: `products.${kept.i}.stock`,
          message: `stock of "${old.sku}" can only be raised once the window has opened (was ${old.stock})`,
        });
      }
    }
  }
  if (refused.length > 0) return conflict('CHANGE_NOT_ALLOWED', 'change not allowed in the promotion’s current state', refused);

  const next: Promotion = {
    ...current,
    ...definedOnly(patch),
  };
  const issues = consistencyIssues(next);
  if (patch.windowEnd !== undefined && patch.windowEnd <= now) issues.push({ path: 'windowEnd', message: 'must be in the future' });
  if (issues.length > 0) return invalid(issues);
  return { ok: true, value: next, changed: !samePromotion(current, next) };
}

export type Transition = 'pause' | 'resume' | 'cancel';

/** pause / resume / cancel: repeating one is a no-op; anything on a cancelled promotion but cancel is a conflict. */
export function applyTransition(current: Promotion, transition: Transition, now: Date): RuleOutcome<Promotion> {
  if (transition === 'cancel') {
    if (current.cancelled) return { ok: true, value: current, changed: false };
    if (phaseAt(current, now) === 'closed') return conflict('PROMOTION_CLOSED', `promotion ${current.id} has already closed`);
    return { ok: true, value: { ...current, cancelled: true }, changed: true };
  }
  const blocked = editable(current, now);
  if (blocked) return blocked;
  const paused = transition === 'pause';
  if (current.paused === paused) return { ok: true, value: current, changed: false };
  return { ok: true, value: { ...current, paused }, changed: true };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const sameTime = (a: Date, b: Date) => a.getTime() === b.getTime();

function samePromotion(a: Promotion, b: Promotion): boolean {
  return (
    a.name === b.name &&
    a.paused === b.paused &&
    a.cancelled === b.cancelled &&
    sameTime(a.prequeueOpensAt, b.prequeueOpensAt) &&
    sameTime(a.windowStart, b.windowStart) &&
    sameTime(a.windowEnd, b.windowEnd) &&
    a.admissionRatePerSec === b.admissionRatePerSec &&
    a.maxActiveShoppers === b.maxActiveShoppers &&
    a.tokenTtlSeconds === b.tokenTtlSeconds &&
    a.graceSeconds === b.graceSeconds &&
    JSON.stringify(a.products) === JSON.stringify(b.products)
  );
}
