import { randomUUID } from 'node:crypto';
import type { QueueState, StockStatusEvent, TickFrame } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import { AdmissionPacer, RateMeter } from './admission-pacer.js';
import type { AdmissionSigner } from './admission-signer.js';
import { type Promotion, type PromotionDirectory, phaseAt } from './promotion.js';
import type { QueueMetrics } from './queue-metrics.js';
import { queueStateFor } from './queue-state.js';
import type { AdmissionCandidate, QueueStore } from './queue-store.js';

export interface QueueLeaderTiming {
  /** Admission step period. */
  admitIntervalMs: number;
  /** Admitter lease TTL; a dead leader is replaced within about this long. */
  leaseTtlMs: number;
  /** Tick broadcast period (and on every state change). */
  tickIntervalMs: number;
  /** How often shoppers past their grace period are removed. */
  sweepIntervalMs: number;
}

export interface QueueLeaderDeps {
  promotionId: string;
  /** Unique per engine instance: the lease owner. */
  owner: string;
  store: QueueStore;
  directory: PromotionDirectory;
  signer: AdmissionSigner;
  stock: (promotionId: string) => StockStatusEvent | undefined;
  logger: Logger;
  metrics?: QueueMetrics;
  timing: QueueLeaderTiming;
}

const TICK_BUCKETS = { maxBuckets: 200, minBucketSize: 50 };

/**
 * Contends for one promotion's admitter lease; while holding it, runs the pre-queue draw, paced
 * admission, the grace sweeper and the tick broadcast. Every node runs one per active promotion;
 * the lease (with fencing) makes exactly one of them act.
 */
export class QueueLeader {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lease: string | undefined;
  private leaseRenewAt = 0;
  private nextTickAt = 0;
  private nextSweepAt = 0;
  private lastState: QueueState | undefined;
  private drawn = false;
  private soldOut = false;
  private readonly pacer = new AdmissionPacer();
  private meter = new RateMeter();
  private stepping: Promise<void> = Promise.resolve();

  constructor(private readonly d: QueueLeaderDeps) {}

  get isLeader(): boolean {
    return this.lease !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Stops contending; by default releases the lease so another node takes over at once. Without
   * release the lease lapses after its TTL, as when a node dies.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.stepping;
    const lease = this.lease;
    this.lease = undefined;
    if (lease && opts.release !== false) await this.d.store.releaseLease(this.d.promotionId, lease).catch(() => {});
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.stepping = this.step()
        .catch((err) => {
          this.d.logger.warn({ err, promotionId: this.d.promotionId }, 'queue leader step failed');
        })
        .finally(() => this.schedule(this.d.timing.admitIntervalMs));
    }, ms);
  }

  private async step(): Promise<void> {
    const { store, promotionId: id, timing } = this.d;
    let now = Date.now();
    if (!this.lease || now >= this.leaseRenewAt) {
      const had = this.lease;
      this.lease = (await store.acquireLease(id, this.d.owner, timing.leaseTtlMs)) ?? undefined;
      this.leaseRenewAt = now + timing.leaseTtlMs / 3;
      if (!this.lease) return;
      if (had !== this.lease) {
        this.d.logger.info({ promotionId: id, lease: this.lease }, 'became queue admitter');
        this.pacer.reset();
        this.meter = new RateMeter(10, now);
        this.lastState = undefined;
        const meta = await store.meta(id);
        this.drawn = meta.drawn;
        this.soldOut = meta.soldOut;
      }
    }
    const promotion = await this.d.directory.get(id);
    if (!promotion) return;
    now = Date.now();
    const phase = phaseAt(promotion, new Date(now));
    const stock = this.d.stock(id);
    if (stock?.soldOut && !this.soldOut) {
      await store.setSoldOut(id);
      this.soldOut = true;
    }
    const state = queueStateFor(phase, this.soldOut);
    // Measure the rate from when admission (re)started, not over the idle time before it.
    if (state === 'waiting' && this.lastState !== undefined && this.lastState !== 'waiting') this.meter = new RateMeter(10, now);
    if (!this.drawn && (phase === 'open' || phase === 'paused')) {
      const drawn = await store.drawPrequeue(id);
      this.drawn = true;
      if (drawn >= 0) {
        this.d.logger.info({ promotionId: id, drawn }, 'pre-queue drawn');
        await store.publish(id, { kind: 'drawn', at: now });
      }
    }
    // Stock exhausted but holds outstanding: stop admitting until they return stock or sell out.
    const stockHeld = stock !== undefined && stock.available === 0 && !stock.soldOut;
    if (state === 'waiting' && !stockHeld) await this.admitStep(promotion, now);
    else this.pacer.reset();

    if (state !== this.lastState || now >= this.nextTickAt) {
      await this.publishTick(promotion, state, Date.now());
      this.lastState = state;
      this.nextTickAt = now + timing.tickIntervalMs;
    }
    if (now >= this.nextSweepAt && (phase === 'prequeue' || phase === 'open' || phase === 'paused')) {
      this.nextSweepAt = now + timing.sweepIntervalMs;
      const cutoff = now - promotion.graceSeconds * 1000;
      for (let i = 0; i < 100; i++) {
        const gone = await store.expireUnseen(id, cutoff, 1000);
        if (gone.length < 1000) break;
      }
    }
  }

  private async admitStep(p: Promotion, now: number): Promise<void> {
    const { store, promotionId: id } = this.d;
    const allowed = this.pacer.allowance(now, p.admissionRatePerSec);
    if (allowed <= 0 || !this.lease) return;
    const head = await store.peekHead(id, allowed, now);
    const room = Math.max(0, p.maxActiveShoppers - head.active);
    const chosen = head.shopperIds.slice(0, room);
    if (chosen.length === 0) {
      this.pacer.settle(allowed, 0);
      return;
    }
    const signedAt = new Date(now);
    const candidates: AdmissionCandidate[] = await Promise.all(
      chosen.map(async (shopperId) => {
        const { token, expiresAt } = await this.d.signer.sign({
          shopperId,
          promotionId: id,
          jti: randomUUID(),
          ttlSeconds: p.tokenTtlSeconds,
          now: signedAt,
        });
        return { shopperId, expiresAtMs: expiresAt.getTime(), admission: { token, expiresAt: expiresAt.toISOString(), admittedAt: now } };
      }),
    );
    const admitted = await store.admit(id, this.lease, now, p.maxActiveShoppers, candidates);
    if (admitted === 'fenced') {
      this.d.logger.warn({ promotionId: id }, 'admitter lease lost; stepping down');
      this.lease = undefined;
      return;
    }
    this.pacer.settle(allowed, admitted.length);
    if (admitted.length === 0) return;
    this.meter.record(admitted.length, now);
    this.d.metrics?.admissions.inc({ promotion: id }, admitted.length);
    const set = new Set(admitted);
    await store.publish(id, {
      kind: 'admitted',
      admissions: candidates.filter((c) => set.has(c.shopperId)).map((c) => ({ shopperId: c.shopperId, ...c.admission })),
    });
  }

  private async publishTick(p: Promotion, state: QueueState, now: number): Promise<void> {
    const f = await this.d.store.readTick(this.d.promotionId, now, TICK_BUCKETS);
    const tick: TickFrame = {
      type: 'tick',
      promotionId: this.d.promotionId,
      state,
      at: now,
      admittedThrough: f.head,
      waiting: f.waiting,
      admissionRatePerSec: state === 'waiting' ? this.meter.rate(now) : 0,
      gone: { from: f.head, bucketSize: f.bucketSize, counts: f.gone },
      windowStart: p.windowStart.toISOString(),
    };
    await this.d.store.publish(this.d.promotionId, { kind: 'tick', tick, active: f.active });
  }
}
