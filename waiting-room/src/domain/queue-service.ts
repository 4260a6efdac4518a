import { randomInt } from 'node:crypto';
import type { QueueState, QueueStatus, TickFrame } from '@flashgate/shared/contracts';
import { estimatedWaitSeconds, positionFromTick } from '@flashgate/shared/contracts';
import { type PromotionDirectory, phaseAt } from './promotion.js';
import type { QueueMetrics } from './queue-metrics.js';
import { isFinalState, queueStateFor } from './queue-state.js';
import type { QueueStore, StoredAdmission } from './queue-store.js';
import type { VisitorTokens } from './queue-visitor-token.js';

/** A rejected join or status request: `status` is the HTTP status, `code` the machine-readable reason. */
export interface QueueRejection {
  ok: false;
  code: string;
  message: string;
  status: number;
  details?: unknown;
}

export interface Welcome {
  promotionId: string;
  shopperId: string;
  visitorToken: string;
  ticket: number | null;
  state: QueueState;
  ahead: number | null;
  at: number;
}

export type JoinResult = { ok: true; welcome: Welcome; admission?: StoredAdmission } | QueueRejection;

export type StatusResult = { ok: true; status: QueueStatus } | QueueRejection;

export interface QueueServiceDeps {
  store: QueueStore;
  directory: PromotionDirectory;
  visitorTokens: VisitorTokens;
  /** The latest tick this process heard for a promotion. */
  latestTick: (promotionId: string) => TickFrame | undefined;
  /** Called once a promotion has queue activity (starts its admitter contender). */
  onActive: (promotionId: string) => Promise<void>;
  metrics?: QueueMetrics;
}

const DRAW_KEY_RANGE = 2 ** 47; // exact as a Redis score (< 2^53) and within crypto.randomInt's range

const reject = (code: string, message: string, status: number, details?: unknown): QueueRejection => ({
  ok: false,
  code,
  message,
  status,
  details,
});

/** Joining and standing, shared by the WebSocket and the polling endpoints. */
export class QueueService {
  constructor(private readonly d: QueueServiceDeps) {}

  async join(promotionId: string, visitorToken: string | undefined, now = Date.now()): Promise<JoinResult> {
    const promotion = await this.d.directory.get(promotionId);
    if (!promotion) return reject('PROMOTION_NOT_FOUND', `no promotion "${promotionId}"`, 404);
    const phase = phaseAt(promotion, new Date(now));
    if (phase === 'scheduled') {
      return reject('PROMOTION_NOT_OPEN', 'the pre-queue of this promotion has not opened yet', 409, {
        prequeueOpensAt: promotion.prequeueOpensAt.toISOString(),
      });
    }
    let shopperId: string;
    let token: string;
    if (visitorToken !== undefined) {
      const check = this.d.visitorTokens.verify(visitorToken, promotionId, now);
      if (!check.ok) return reject(check.code, check.message, 401);
      shopperId = check.claims.shopperId;
      token = visitorToken;
    } else {
      const issued = this.d.visitorTokens.issue(promotionId, now);
      shopperId = issued.claims.shopperId;
      token = issued.token;
    }
    const base = { promotionId, shopperId, visitorToken: token, at: now };
    const tickState = this.d.latestTick(promotionId)?.state;
    const state = queueStateFor(phase, tickState === 'sold_out');
    if (isFinalState(state)) {
      // Nothing more to queue for; a shopper admitted earlier still gets their admission back.
      const standing = visitorToken ? await this.d.store.standing(promotionId, shopperId, now) : undefined;
      if (standing?.status === 'admitted') {
        return { ok: true, welcome: { ...base, ticket: null, state: 'admitted', ahead: 0 }, admission: standing.admission };
      }
      return { ok: true, welcome: { ...base, ticket: null, state, ahead: null } };
    }
    await this.d.onActive(promotionId);
    const drawKey = randomInt(DRAW_KEY_RANGE);
    const mode = phase === 'prequeue' ? 'prequeue' : 'open';
    let outcome = await this.d.store.join(promotionId, shopperId, { now, phase: mode, drawKey });
    if (outcome.status === 'need_draw') {
      await this.d.store.drawPrequeue(promotionId);
      outcome = await this.d.store.join(promotionId, shopperId, { now, phase: mode, drawKey });
    }
    switch (outcome.status) {
      case 'admitted':
        return { ok: true, welcome: { ...base, ticket: null, state: 'admitted', ahead: 0 }, admission: outcome.admission };
      case 'waiting':
        this.d.metrics?.joins.inc({ promotion: promotionId });
        return { ok: true, welcome: { ...base, ticket: outcome.ticket, state, ahead: outcome.ahead } };
      case 'prequeue':
        this.d.metrics?.joins.inc({ promotion: promotionId });
        return { ok: true, welcome: { ...base, ticket: null, state: 'prequeue', ahead: null } };
      default:
        throw new Error(`join did not settle: ${outcome.status}`);
    }
  }

  async leave(promotionId: string, shopperId: string): Promise<boolean> {
    return this.d.store.leave(promotionId, shopperId);
  }

  /** Where a shopper stands, from one Redis round trip plus this process's latest tick. */
  async status(promotionId: string, visitorToken: string, now = Date.now()): Promise<StatusResult> {
    const promotion = await this.d.directory.get(promotionId);
    if (!promotion) return reject('PROMOTION_NOT_FOUND', `no promotion "${promotionId}"`, 404);
    const check = this.d.visitorTokens.verify(visitorToken, promotionId, now);
    if (!check.ok) return reject(check.code, check.message, 401);
    const standing = await this.d.store.standing(promotionId, check.claims.shopperId, now);
    const tick = this.d.latestTick(promotionId);
    const rate = tick?.admissionRatePerSec ?? 0;
    const promoState = tick?.state ?? queueStateFor(phaseAt(promotion, new Date(now)), false);
    const at = tick?.at ?? now;
    switch (standing.status) {
      case 'admitted':
        return {
          ok: true,
          status: {
            state: 'admitted',
            ticket: null,
            ahead: 0,
            etaSeconds: 0,
            admissionRatePerSec: rate,
            at,
            admissionToken: standing.admission.token,
            expiresAt: standing.admission.expiresAt,
          },
        };
      case 'waiting': {
        const ahead = tick ? positionFromTick(standing.ticket, tick) : null;
        const eta = ahead === null ? null : estimatedWaitSeconds(ahead, rate);
        return { ok: true, status: { state: promoState, ticket: standing.ticket, ahead, etaSeconds: eta, admissionRatePerSec: rate, at } };
      }
      case 'prequeue':
        return { ok: true, status: { state: promoState, ticket: null, ahead: null, etaSeconds: null, admissionRatePerSec: rate, at } };
      case 'absent':
        if (isFinalState(promoState)) {
          return { ok: true, status: { state: promoState, ticket: null, ahead: null, etaSeconds: null, admissionRatePerSec: 0, at } };
        }
        return reject('NOT_IN_QUEUE', 'this visitor holds no place (left, or disconnected past the grace period); join again', 404);
    }
  }
}
