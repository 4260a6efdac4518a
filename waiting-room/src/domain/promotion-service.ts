import { randomUUID } from 'node:crypto';
import { type Promotion, type PromotionPhase, phaseAt } from './promotion.js';
import type { CreatePromotionInput, PatchPromotionInput } from './promotion-input.js';
import { applyPatch, applyTransition, newPromotion, type RuleOutcome, type Transition } from './promotion-rules.js';

export type NewPromotion = Omit<Promotion, 'version' | 'createdAt' | 'updatedAt' | 'publishedPhase'> & {
  publishedPhase: PromotionPhase;
};

/** Postgres, seen from the use cases. */
export interface PromotionStore {
  /** Inserts at version 1; `false` when the id is taken. */
  insert(p: NewPromotion): Promise<Promotion | false>;
  get(id: string): Promise<Promotion | undefined>;
  list(): Promise<Promotion[]>;
  /**
   * Runs `change` on the row locked for update; writes the result with version + 1 when it changed.
   * Returns undefined when there is no such promotion.
   */
  update(id: string, change: (current: Promotion) => RuleOutcome<Promotion>): Promise<RuleOutcome<Promotion> | undefined>;
  /** Records that `version` has moved into `phase` as a new version; undefined when another write got there first. */
  advancePhase(id: string, version: number, phase: PromotionPhase): Promise<Promotion | undefined>;
}

/** Tells the cluster (cache invalidation) and inventory (snapshot) about a written version; never throws. */
export interface PromotionPublisher {
  published(p: Promotion): Promise<void>;
}

export interface PromotionServiceDeps {
  store: PromotionStore;
  publisher: PromotionPublisher;
  /** This node's cache, updated before the notification goes out so its own reads see the write. */
  onWritten?: (p: Promotion) => void;
  clock?: () => Date;
}

const notFound = (id: string): RuleOutcome<Promotion> => ({
  ok: false,
  kind: 'not_found',
  code: 'PROMOTION_NOT_FOUND',
  message: `no promotion ${id}`,
  issues: [],
});

/**
 * Marketing's use cases. Postgres is written first and only then is the change announced, so a
 * NATS outage loses no change: the periodic republisher sends it again (README, "outbox-lite").
 */
export class PromotionService {
  readonly #deps: PromotionServiceDeps;
  constructor(deps: PromotionServiceDeps) {
    this.#deps = deps;
  }

  #now(): Date {
    return this.#deps.clock?.() ?? new Date();
  }

  async create(input: CreatePromotionInput): Promise<RuleOutcome<Promotion>> {
    const id = input.id ?? randomUUID();
    const now = this.#now();
    const draft = newPromotion({ ...input, id }, now);
    if (!draft.ok) return draft;
    const created = await this.#deps.store.insert({
      ...draft.value,
      publishedPhase: phaseAt(draft.value, now),
    });
    if (!created) {
      return {
        ok: false,
        kind: 'conflict',
        code: 'PROMOTION_EXISTS',
        message: `promotion ${id} already exists`,
        issues: [{ path: 'id', message: 'already taken' }],
      };
    }
    await this.#written(created);
    return { ok: true, value: created, changed: true };
  }

  get(id: string): Promise<Promotion | undefined> {
    return this.#deps.store.get(id);
  }

  list(): Promise<Promotion[]> {
    return this.#deps.store.list();
  }

  patch(id: string, patch: PatchPromotionInput): Promise<RuleOutcome<Promotion>> {
    return this.#change(id, (current, now) => applyPatch(current, patch, now));
  }

  transition(id: string, transition: Transition): Promise<RuleOutcome<Promotion>> {
    return this.#change(id, (current, now) => applyTransition(current, transition, now));
  }

  /**
   * Time moved some promotions into another phase (window opened, ended): write each as a new version
   * so its snapshot says so. Every node may call this; the store bumps a version once.
   */
  async advancePhases(promotions: readonly Promotion[]): Promise<number> {
    const now = this.#now();
    let advanced = 0;
    for (const p of promotions) {
      const phase = phaseAt(p, now);
      if (p.publishedPhase === undefined || p.publishedPhase === phase) continue;
      const next = await this.#deps.store.advancePhase(p.id, p.version, phase);
      if (next) {
        advanced++;
        await this.#written(next);
      }
    }
    return advanced;
  }

  async #change(id: string, change: (current: Promotion, now: Date) => RuleOutcome<Promotion>): Promise<RuleOutcome<Promotion>> {
    const outcome = await this.#deps.store.update(id, (current) => {
      const now = this.#now();
      const result = change(current, now);
      return result.ok && result.changed ? { ...result, value: { ...result.value, publishedPhase: phaseAt(result.value, now) } } : result;
    });
    if (!outcome) return notFound(id);
    if (outcome.ok && outcome.changed) await this.#written(outcome.value);
    return outcome;
  }

  async #written(p: Promotion): Promise<void> {
    this.#deps.onWritten?.(p);
    await this.#deps.publisher.published(p);
  }
}
