import { randomUUID } from 'node:crypto';
import type { StockStatusEvent } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { AdmissionSigner } from './admission-signer.js';
import type { PromotionDirectory } from './promotion.js';
import { QueueLeader, type QueueLeaderTiming } from './queue-leader.js';
import type { QueueMetrics } from './queue-metrics.js';
import type { QueueStore } from './queue-store.js';

export interface QueueEngineDeps {
  store: QueueStore;
  directory: PromotionDirectory;
  signer: AdmissionSigner;
  logger: Logger;
  metrics?: QueueMetrics;
  timing: QueueLeaderTiming;
  /** How often the set of active promotions is re-read. */
  discoverIntervalMs?: number;
  /** A promotion is forgotten this long after its window ended. */
  retainAfterEndMs?: number;
}

/**
 * One per process: runs a leader contender for every promotion with queue activity (a shared Redis
 * set, so a node with no shopper of a promotion still takes over its admission when needed), and
 * keeps the latest stock status each promotion's leader acts on.
 */
export class QueueEngine {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly leaders = new Map<string, QueueLeader>();
  private readonly stock = new Map<string, StockStatusEvent>();
  private readonly marked = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly d: QueueEngineDeps) {}

  async start(): Promise<void> {
    this.running = true;
    await this.discover();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await Promise.all([...this.leaders.values()].map((l) => l.stop()));
    this.leaders.clear();
  }

  /** Stops at once without giving leases up (they lapse after their TTL): a node crash, for tests and drills. */
  async halt(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await Promise.all([...this.leaders.values()].map((l) => l.stop({ release: false })));
    this.leaders.clear();
  }

  /** Registers queue activity for a promotion (once per process) and starts contending for it. */
  async ensure(promotionId: string): Promise<void> {
    if (!this.marked.has(promotionId)) {
      await this.d.store.markActive(promotionId);
      this.marked.add(promotionId);
    }
    this.startLeader(promotionId);
  }

  onStockStatus(event: StockStatusEvent): void {
    const prev = this.stock.get(event.promotionId);
    if (prev && prev.at > event.at) return;
    this.stock.set(event.promotionId, event);
  }

  isLeaderOf(promotionId: string): boolean {
    return this.leaders.get(promotionId)?.isLeader ?? false;
  }

  private startLeader(promotionId: string): void {
    if (!this.running || this.leaders.has(promotionId)) return;
    const leader = new QueueLeader({
      promotionId,
      owner: this.owner,
      store: this.d.store,
      directory: this.d.directory,
      signer: this.d.signer,
      stock: (id) => this.stock.get(id),
      logger: this.d.logger,
      metrics: this.d.metrics,
      timing: this.d.timing,
    });
    this.leaders.set(promotionId, leader);
    leader.start();
  }

  private async discover(): Promise<void> {
    try {
      const ids = await this.d.store.activePromotions();
      const now = Date.now();
      for (const id of ids) {
        const p = await this.d.directory.get(id);
        const ended = !p || now > p.windowEnd.getTime() + (this.d.retainAfterEndMs ?? 600_000);
        if (ended) {
          await this.d.store.forgetActive(id);
          await this.leaders.get(id)?.stop();
          this.leaders.delete(id);
        } else {
          this.startLeader(id);
        }
      }
    } catch (err) {
      this.d.logger.warn({ err }, 'queue promotion discovery failed');
    }
    if (this.running) this.timer = setTimeout(() => void this.discover(), this.d.discoverIntervalMs ?? 1_000);
  }
}
