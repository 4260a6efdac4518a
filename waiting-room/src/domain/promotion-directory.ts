import type { Promotion, PromotionDirectory } from './promotion.js';

/** Postgres, seen from the directory. */
export interface PromotionSource {
  get(id: string): Promise<Promotion | undefined>;
  /** Every promotion that can still change or matter to a queue (not long closed). */
  listLive(): Promise<Promotion[]>;
}

export interface PromotionChange {
  promotionId: string;
  version: number;
}

/** The cluster-wide "promotion X changed" signal (core NATS in production). */
export interface PromotionChangeFeed {
  subscribe(handler: (change: PromotionChange) => void): () => void;
}

export interface CachedDirectoryOptions {
  source: PromotionSource;
  feed: PromotionChangeFeed;
  /** Full reload period: the safety net for a lost change notification. */
  refreshMs: number;
  /** How long an unknown id is remembered as unknown, so probes for random ids do not hit Postgres each time. */
  missTtlMs?: number;
  onError?: (err: unknown, context: string) => void;
}

/**
 * PromotionDirectory over an in-process Map. A change notification reloads that promotion at once;
 * a periodic full reload catches anything a lost notification missed. Listeners hear of a promotion
 * whenever its cached version changes, on every node including the one that made the change.
 */
export class CachedPromotionDirectory implements PromotionDirectory {
  readonly #opts: CachedDirectoryOptions;
  readonly #cache = new Map<string, Promotion>();
  readonly #misses = new Map<string, number>();
  readonly #loading = new Map<string, Promise<Promotion | undefined>>();
  readonly #listeners = new Set<(promotionId: string) => void>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: CachedDirectoryOptions) {
    this.#opts = opts;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#opts.feed.subscribe((change) => {
      const cached = this.#cache.get(change.promotionId);
      if (cached && cached.version >= change.version) return;
      void this.reload(change.promotionId);
    });
    await this.refreshAll();
    this.#timer = setInterval(() => void this.refreshAll(), this.#opts.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async get(id: string): Promise<Promotion | undefined> {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const missUntil = this.#misses.get(id);
    if (missUntil !== undefined && missUntil > Date.now()) return undefined;
    return this.reload(id);
  }

  /** Cached promotions (for metrics and the admission loop's iteration); no I/O. */
  list(): Promotion[] {
    return [...this.#cache.values()];
  }

  onChange(listener: (promotionId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes a promotion this node just wrote, without waiting for its own notification. */
  note(p: Promotion): void {
    this.#apply(p);
  }

  reload(id: string): Promise<Promotion | undefined> {
    const inFlight = this.#loading.get(id);
    if (inFlight) return inFlight;
    const load = this.#opts.source
      .get(id)
      .then((p) => {
        if (p) this.#apply(p);
        else this.#misses.set(id, Date.now() + (this.#opts.missTtlMs ?? 1_000));
        return this.#cache.get(id);
      })
      .catch((err) => {
        this.#opts.onError?.(err, `reload promotion ${id}`);
        return this.#cache.get(id);
      })
      .finally(() => this.#loading.delete(id));
    this.#loading.set(id, load);
    return load;
  }

  async refreshAll(): Promise<void> {
    try {
      for (const p of await this.#opts.source.listLive()) this.#apply(p);
    } catch (err) {
      this.#opts.onError?.(err, 'refresh promotions');
    }
  }

  #apply(p: Promotion): void {
    const cached = this.#cache.get(p.id);
    if (cached && cached.version >= p.version) return; // a slower, older read must not win
    this.#cache.set(p.id, p);
    this.#misses.delete(p.id);
    for (const listener of this.#listeners) {
      try {
        listener(p.id);
      } catch (err) {
        this.#opts.onError?.(err, 'promotion change listener');
      }
    }
  }
}
