import type { Duplex } from 'node:stream';
import type { ServerFrame, TickFrame } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { WebSocket } from 'ws';
import type { QueueMetrics } from '../domain/queue-metrics.js';
import { isFinalState } from '../domain/queue-state.js';
import type { QueueEvent, QueueStore, StoredAdmission } from '../domain/queue-store.js';
import { CloseCode } from './queue-close-codes.js';
import { textFrame } from './text-frame.js';

/** A joined shopper's socket on this process. */
export interface QueueConn {
  ws: WebSocket;
  /** The TCP socket under `ws`: ticks framed once per promotion are written to it directly. */
  socket?: Duplex;
  promotionId: string;
  shopperId: string;
  ticket: number | null;
  admitted: boolean;
  /** Since when the socket's send buffer has been over the soft limit. */
  slowSince?: number;
  resolving?: boolean;
  /** Which of the thinned ticks this socket gets (set by the hub). */
  slot?: number;
}

export interface QueueHubOptions {
  /** Above this many buffered bytes a socket skips tick frames (each tick is a full snapshot). */
  softBufferBytes: number;
  /** Above this, or over the soft limit for longer than slowCloseMs, the socket is closed. */
  hardBufferBytes: number;
  slowCloseMs: number;
  /** How often connected shoppers are marked present (must be well under the grace period). */
  presenceIntervalMs: number;
  /** Final states (sold out, closed): sockets are closed this long after being told. */
  finalCloseDelayMs: number;
  /** A promotion with sockets here but no tick for this long makes the hub re-assert its subscription. */
  staleTickMs: number;
  /**
   * Tick frames this process writes per second at most. With more sockets than that, each socket gets
   * every n-th tick (n ≤ 5 s / tick period, so positions still refresh at least every 5 s); a state
   * change always goes to everyone. Bounds the fan-out cost of very large lines.
   */
  tickFanoutPerSec: number;
  tickIntervalMs: number;
}

/**
 * Every joined socket of this process, by promotion and shopper. Ticks arrive once per promotion
 * (Redis pub/sub) and are serialised once; the same buffer is written to every socket.
 */
export class QueueHub {
  private readonly byPromotion = new Map<string, Set<QueueConn>>();
  private readonly byShopper = new Map<string, Set<QueueConn>>();
  private readonly tickSeq = new Map<string, number>();
  private connCount = 0;
  private nextSlot = 0;
  private readonly ticks = new Map<string, TickFrame>();
  /** Local time each promotion's latest tick arrived (the tick's own `at` is the leader's clock). */
  private readonly tickHeardAt = new Map<string, number>();
  private presenceTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: QueueStore,
    private readonly opts: QueueHubOptions,
    private readonly logger: Logger,
    private readonly metrics?: QueueMetrics,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribe((id, event) => this.onEvent(id, event));
    const refresh = () => {
      void this.refreshPresence().finally(() => {
        this.presenceTimer = setTimeout(refresh, this.opts.presenceIntervalMs);
      });
    };
    this.presenceTimer = setTimeout(refresh, this.opts.presenceIntervalMs);
    this.watchdog = setInterval(() => void this.checkStaleTicks(), this.opts.staleTickMs);
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.presenceTimer);
    clearInterval(this.watchdog);
    await this.unsubscribe?.();
  }

  /** This process's joined sockets of a promotion. */
  connections(promotionId: string): QueueConn[] {
    return [...(this.byPromotion.get(promotionId) ?? [])];
  }

  latestTick(promotionId: string): TickFrame | undefined {
    return this.ticks.get(promotionId);
  }

  add(conn: QueueConn): void {
    if (!this.tickHeardAt.has(conn.promotionId)) this.tickHeardAt.set(conn.promotionId, Date.now()); // the staleness clock starts now
    const set = this.byPromotion.get(conn.promotionId) ?? new Set<QueueConn>();
    this.byPromotion.set(conn.promotionId, set);
    if (!set.has(conn)) this.connCount++;
    set.add(conn);
    conn.slot = this.nextSlot++;
    const key = shopperKey(conn.promotionId, conn.shopperId);
    const mine = this.byShopper.get(key) ?? new Set<QueueConn>();
    this.byShopper.set(key, mine);
    mine.add(conn);
  }

  /** Forgets a closed socket and records the exact disconnect time (the grace period starts now). */
  remove(conn: QueueConn): void {
    const set = this.byPromotion.get(conn.promotionId);
    if (!set?.delete(conn)) return;
    this.connCount--;
    if (set.size === 0) this.byPromotion.delete(conn.promotionId);
    const key = shopperKey(conn.promotionId, conn.shopperId);
    const mine = this.byShopper.get(key);
    mine?.delete(conn);
    if (mine?.size === 0) this.byShopper.delete(key);
    if (!conn.admitted) {
      void this.store.touch(conn.promotionId, [conn.shopperId], Date.now()).catch(() => {});
    }
  }

  /**
   * Sends one frame to one socket, honouring backpressure. Returns false when it was skipped. `framed`: the
   * same message as a complete text frame, written straight to the TCP socket (ws sends nothing of its own
   * in between: no compression, so its sender never queues; `bufferedAmount` counts the socket's buffer).
   */
  send(conn: QueueConn, data: Buffer | string, droppable: boolean, framed?: Buffer): boolean {
    const ws = conn.ws;
    if (ws.readyState !== ws.OPEN) return false;
    const buffered = ws.bufferedAmount;
    if (buffered > this.opts.softBufferBytes) {
      const now = Date.now();
      conn.slowSince ??= now;
      if (buffered > this.opts.hardBufferBytes || now - conn.slowSince > this.opts.slowCloseMs) {
        this.metrics?.slowClosed.inc();
        ws.terminate(); // a peer this far behind would not read a close frame either
        return false;
      }
      if (droppable) {
        this.metrics?.droppedUpdates.inc();
        return false;
      }
    } else {
      conn.slowSince = undefined;
    }
    if (framed && conn.socket) conn.socket.write(framed);
    else ws.send(data, { binary: false });
    return true;
  }

  sendFrame(conn: QueueConn, frame: ServerFrame): void {
    this.send(conn, JSON.stringify(frame), false);
  }

  private onEvent(promotionId: string, event: QueueEvent): void {
    switch (event.kind) {
      case 'tick':
        if (event.active !== undefined) this.metrics?.activeAdmitted.set({ promotion: promotionId }, event.active);
        this.onTick(promotionId, event.tick);
        break;
      case 'admitted':
        for (const a of event.admissions) {
          for (const conn of this.byShopper.get(shopperKey(promotionId, a.shopperId)) ?? []) {
            this.sendAdmitted(conn, a);
          }
        }
        break;
      case 'drawn':
        void this.sendDrawnTickets(promotionId).catch((err) => this.logger.warn({ err, promotionId }, 'sending drawn tickets failed'));
        break;
    }
  }

  private sendAdmitted(conn: QueueConn, a: StoredAdmission): void {
    if (conn.admitted) return;
    conn.admitted = true;
    this.sendFrame(conn, { type: 'admitted', admissionToken: a.token, expiresAt: a.expiresAt, at: a.admittedAt ?? Date.now() });
  }

  private onTick(promotionId: string, tick: TickFrame): void {
    const prev = this.ticks.get(promotionId);
    if (prev && prev.at > tick.at) return;
    this.ticks.set(promotionId, tick);
    this.tickHeardAt.set(promotionId, Date.now());
    this.metrics?.waiting.set({ promotion: promotionId }, tick.waiting);
    if (prev?.state !== tick.state) {
      if (prev) this.metrics?.state.set({ promotion: promotionId, state: prev.state }, 0);
      this.metrics?.state.set({ promotion: promotionId, state: tick.state }, 1);
    }
    const conns = this.byPromotion.get(promotionId);
    if (!conns) return;
    const data = Buffer.from(JSON.stringify(tick)); // once per promotion, not per socket
    const framed = textFrame(data);
    const seq = (this.tickSeq.get(promotionId) ?? 0) + 1;
    this.tickSeq.set(promotionId, seq);
    const stride = prev?.state !== tick.state ? 1 : this.stride();
    const missed: QueueConn[] = [];
    const unticketed: QueueConn[] = [];
    for (const conn of conns) {
      if (conn.admitted) continue;
      if (stride === 1 || ((conn.slot ?? 0) + seq) % stride === 0) this.send(conn, data, true, framed);
      if (conn.resolving) continue;
      // A shopper past the head whose admission notice this node did not hear (e.g. a pub/sub blip).
      if (conn.ticket !== null && conn.ticket <= tick.admittedThrough) missed.push(conn);
      // A pre-queue shopper whose drawn ticket this node did not hear of.
      if (conn.ticket === null && (tick.state === 'waiting' || tick.state === 'paused')) unticketed.push(conn);
    }
    if (missed.length > 0) void this.resolveMissed(promotionId, missed);
    if (unticketed.length > 0) {
      void this.sendTickets(promotionId, unticketed).catch((err) => this.logger.warn({ err, promotionId }, 'ticket lookup failed'));
    }
    if (isFinalState(tick.state)) {
      setTimeout(() => {
        for (const conn of this.byPromotion.get(promotionId) ?? []) {
          if (!conn.admitted) conn.ws.close(CloseCode.NORMAL, tick.state);
        }
      }, this.opts.finalCloseDelayMs).unref();
    }
  }

  /** Every how many ticks each socket is sent one, to stay within the fan-out budget. */
  private stride(): number {
    const perTick = Math.max(1, (this.opts.tickFanoutPerSec * this.opts.tickIntervalMs) / 1000);
    const most = Math.max(1, Math.floor(5_000 / this.opts.tickIntervalMs));
    return Math.min(most, Math.max(1, Math.ceil(this.connCount / perTick)));
  }

  private async resolveMissed(promotionId: string, conns: QueueConn[]): Promise<void> {
    for (const c of conns) c.resolving = true;
    try {
      const admissions = await this.store.admissionsOf(
        promotionId,
        conns.map((c) => c.shopperId),
      );
      conns.forEach((conn, i) => {
        const a = admissions[i];
        if (a) this.sendAdmitted(conn, a);
        else {
          this.sendFrame(conn, { type: 'error', code: 'PLACE_LOST', message: 'this place is no longer in line; join again' });
          conn.ws.close(CloseCode.PLACE_LOST, 'PLACE_LOST');
        }
      });
    } catch (err) {
      this.logger.warn({ err, promotionId }, 'resolving admissions failed');
    } finally {
      for (const c of conns) c.resolving = false;
    }
  }

  /** After the pre-queue draw: one batched lookup for this node's pre-queue sockets, then `ticket` frames. */
  private async sendDrawnTickets(promotionId: string): Promise<void> {
    const pending = [...(this.byPromotion.get(promotionId) ?? [])].filter((c) => c.ticket === null && !c.admitted && !c.resolving);
    await this.sendTickets(promotionId, pending);
  }

  private async sendTickets(promotionId: string, pending: QueueConn[]): Promise<void> {
    for (const c of pending) c.resolving = true;
    try {
      const tickets = await this.store.ticketsOf(
        promotionId,
        pending.map((c) => c.shopperId),
      );
      const at = Date.now();
      pending.forEach((conn, i) => {
        const ticket = tickets[i];
        if (ticket === null || ticket === undefined || conn.ticket !== null) return;
        conn.ticket = ticket;
        this.sendFrame(conn, { type: 'ticket', ticket, at });
      });
    } finally {
      for (const c of pending) c.resolving = false;
    }
  }

  /**
   * Sockets of a promotion that hear no tick are stuck, whatever the cause (a subscription lost on a
   * Redis failover, no admitter anywhere): re-assert the subscription and say so.
   */
  private async checkStaleTicks(): Promise<void> {
    const now = Date.now();
    const stale = [...this.byPromotion.keys()].filter((id) => now - (this.tickHeardAt.get(id) ?? 0) > this.opts.staleTickMs);
    if (stale.length === 0) return;
    this.logger.warn({ promotions: stale.slice(0, 10) }, 'no recent tick for promotions with sockets here; re-asserting the subscription');
    await this.store.resubscribe().catch((err) => this.logger.warn({ err }, 'resubscribe failed'));
  }

  private async refreshPresence(): Promise<void> {
    const now = Date.now();
    for (const [promotionId, conns] of this.byPromotion) {
      const ids = new Set<string>();
      for (const c of conns) if (!c.admitted) ids.add(c.shopperId);
      try {
        await this.store.touch(promotionId, [...ids], now);
      } catch (err) {
        this.logger.warn({ err, promotionId }, 'presence refresh failed');
      }
    }
  }
}

function shopperKey(promotionId: string, shopperId: string): string {
  return `${promotionId}\u0000${shopperId}`;
}
