import { randomUUID } from 'node:crypto';
import { positionFromTick, type TickFrame } from '@flashgate/shared/contracts';
import { type Histogram, recordMs } from '../stats/latency.js';
import { errorCode, httpRequest } from './http.js';
import { LeanWebSocket, LeanWsState, type LeanWsTarget } from './lean-ws.js';
import type { HistogramName, QueueView, ShopperFindings, WorkerPlan } from './messages.js';

/**
 * One simulated shopper: joins the queue over WebSocket, follows ticks, reconnects with its visitor
 * token if the socket drops (keeping its place), and once admitted either leaves or orders one
 * unit of a hot SKU and confirms it. Everything it sees goes into the worker's shared counters.
 */
export interface ShopperContext extends ShopperFindings {
  plan: WorkerPlan;
  histograms: Record<HistogramName, Histogram>;
  /** Newest tick seen per waiting-room node (ticks are the same bytes for every socket of a node). */
  ticks: Array<{ raw: Buffer | null; frame: TickFrame | null }>;
  queue: { view: QueueView | null };
  onFinished: () => void;
}

type Phase = 'idle' | 'connecting' | 'waiting' | 'admitted' | 'done';

const HELLO = '{"type":"hello"}';

export class Shopper {
  phase: Phase = 'idle';
  ticket: number | null = null;
  /** Server time of the newest frame this shopper holds: its position's age is now − lastAt. */
  lastAt = 0;
  private ws: LeanWebSocket | null = null;
  private arrivedAt = 0;
  private visitorToken: string | undefined;
  private shopperId = '';
  private positionKnown = false;
  private joined = false;
  private reconnects = 0;
  private lastPosition = Number.POSITIVE_INFINITY;

  constructor(
    readonly index: number,
    readonly prequeue: boolean,
    private readonly wsTarget: LeanWsTarget,
    private readonly gatewayUrl: string,
    private readonly node: number,
    private readonly localAddress: string | undefined,
    private readonly ctx: ShopperContext,
  ) {}

  /**
   * `scheduledAt` (epoch ms) is when the arrival plan said this shopper comes: latencies count from it, so
   * a load generator running late (a busy event loop issuing a burst) shows up in them instead of hiding.
   */
  arrive(scheduledAt: number): void {
    this.arrivedAt = performance.now() - Math.max(0, Date.now() - scheduledAt);
    this.ctx.counters.arrived++;
    this.connect();
  }

  /** Shoppers ahead, from the newest tick of its node; null before it holds a ticket. */
  position(): number | null {
    const tick = this.ctx.ticks[this.node]?.frame;
    if (this.ticket === null || !tick) return null;
    return positionFromTick(this.ticket, tick);
  }

  stop(): void {
    if (this.phase === 'done') return;
    if (this.phase === 'waiting') this.ctx.counters.waiting--;
    this.phase = 'done';
    this.closeSocket();
  }

  private connect(): void {
    const c = this.ctx.counters;
    this.phase = 'connecting';
    c.connecting++;
    let opened = false;
    const ws = new LeanWebSocket(
      this.wsTarget,
      {
        onOpen: () => {
          opened = true;
          c.connecting--;
          c.open++;
          if (c.open > c.openPeak) c.openPeak = c.open;
          ws.send(this.visitorToken ? `{"type":"hello","visitorToken":${JSON.stringify(this.visitorToken)}}` : HELLO);
        },
        onMessage: (data) => this.onMessage(data),
        onError: (err) => this.sample(`connect: ${err.message}`),
        onClose: () => {
          if (opened) c.open--;
          else {
            c.connecting--;
            c.connectErrors++;
          }
          if (this.ws === ws) this.ws = null;
          if (this.phase === 'connecting' || this.phase === 'waiting') {
            if (opened) c.droppedConnections++;
            if (this.phase === 'waiting') c.waiting--;
            this.retry();
          }
        },
      },
      // Frames are parsed as JSON anyway; the lean client does not validate UTF-8 (CPU the load generator cannot spare).
      { localAddress: this.localAddress, handshakeTimeoutMs: this.ctx.plan.requestTimeoutMs, maxPayload: 1 << 20 },
    );
    this.ws = ws;
  }

  private retry(): void {
    const c = this.ctx.counters;
    if (this.reconnects >= this.ctx.plan.maxReconnects || Date.now() > this.ctx.plan.deadlineAt) {
      this.finish('failed');
      return;
    }
    this.reconnects++;
    c.reconnects++;
    this.phase = 'connecting';
    setTimeout(
      () => {
        if (this.phase === 'connecting') this.connect();
      },
      // Exponential backoff with jitter: a storm of handshake timeouts must not become a retry storm.
      500 * 2 ** this.reconnects * (0.5 + Math.random()),
    );
  }

  private onMessage(data: Buffer): void {
    const node = this.ctx.ticks[this.node];
    let frame: any;
    // Every socket of a node receives the same tick bytes: parse them once per worker.
    if (node?.raw && node.frame && data.equals(node.raw)) frame = node.frame;
    else {
      try {
        frame = JSON.parse(data.toString('utf8'));
      } catch {
        this.sample('unparseable frame');
        return;
      }
      if (frame.type === 'tick' && node) {
        node.raw = Buffer.from(data);
        node.frame = frame as TickFrame;
        const q = this.ctx.queue.view;
        if (!q || frame.at >= q.at) {
          this.ctx.queue.view = {
            waiting: frame.waiting,
            admittedThrough: frame.admittedThrough,
            admissionRatePerSec: frame.admissionRatePerSec,
            at: frame.at,
          };
        }
      }
    }
    switch (frame.type) {
      case 'welcome':
        this.onWelcome(frame);
        return;
      case 'tick':
        this.onTick(frame as TickFrame);
        return;
      case 'ticket':
        this.ticket = frame.ticket;
        this.lastAt = Math.max(this.lastAt, frame.at);
        this.notePosition();
        return;
      case 'admitted':
        this.onAdmitted(frame);
        return;
      case 'error':
        this.ctx.counters.serverErrors++;
        this.sample(`server error frame ${frame.code}: ${frame.message}`);
        return;
      default:
        return;
    }
  }

  private onWelcome(f: { shopperId: string; visitorToken: string; ticket: number | null; state: string; at: number }): void {
    const c = this.ctx.counters;
    if (!this.joined) {
      this.joined = true;
      // From the planned arrival, across any reconnects: what the shopper waited for the welcome.
      recordMs(this.ctx.histograms.join, performance.now() - this.arrivedAt);
    }
    this.shopperId = f.shopperId;
    this.visitorToken = f.visitorToken;
    if (f.ticket !== null) this.ticket = f.ticket;
    this.lastAt = Math.max(this.lastAt, f.at);
    if (this.phase === 'connecting') {
      this.phase = 'waiting';
      c.waiting++;
    }
    if (f.state === 'sold_out' || f.state === 'closed') {
      this.finish('turnedAway');
      return;
    }
    this.notePosition();
  }

  private onTick(t: TickFrame): void {
    this.lastAt = Math.max(this.lastAt, t.at);
    if (this.phase !== 'waiting') return;
    if (t.state === 'sold_out' || t.state === 'closed') {
      this.finish('turnedAway');
      return;
    }
    if (!this.positionKnown) this.notePosition();
  }

  private notePosition(): void {
    if (this.positionKnown || this.position() === null) return;
    this.positionKnown = true;
    // Pre-queue shoppers cannot know a position before the draw: count from the opening instead.
    const ms = this.prequeue ? Date.now() - this.ctx.plan.openAt : performance.now() - this.arrivedAt;
    recordMs(this.ctx.histograms.firstPosition, Math.max(0, ms));
  }

  /** Whether the position this shopper computes ever moved backwards (a broken tick or ticket). */
  checkPosition(): boolean {
    const p = this.position();
    if (p === null) return true;
    const ok = p <= this.lastPosition;
    this.lastPosition = p;
    return ok;
  }

  private onAdmitted(f: { admissionToken: string; expiresAt: string; at: number }): void {
    const c = this.ctx.counters;
    if (this.phase !== 'waiting' && this.phase !== 'connecting') return;
    if (this.phase === 'waiting') c.waiting--;
    this.phase = 'admitted';
    c.admitted++;
    if (!this.positionKnown) c.admittedWithoutPosition++;
    this.ctx.admissions.push([this.ticket ?? -1, f.at]);
    recordMs(this.ctx.histograms.queueWait, performance.now() - this.arrivedAt);
    if (this.ctx.plan.keepTokens) this.ctx.tokens.push({ shopperId: this.shopperId, token: f.admissionToken });
    this.closeSocket();
    if (this.ctx.plan.order && Date.now() < this.ctx.plan.deadlineAt) {
      void this.order(f.admissionToken).finally(() => this.finish('finished'));
    } else this.finish('finished');
  }

  private async order(token: string): Promise<void> {
    const skus = [...this.ctx.plan.skus].sort(() => Math.random() - 0.5);
    for (const sku of skus) {
      const outcome = await this.placeOrder(token, sku);
      if (outcome !== 'soldOut') return;
    }
  }

  private async send(method: string, path: string, token: string, body: string, key?: string, maxRetries = 3) {
    const c = this.ctx.counters;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (key) headers['idempotency-key'] = key;
    for (let attempt = 0; ; attempt++) {
      const res = await httpRequest(method, `${this.gatewayUrl}${path}`, {
        headers,
        body,
        localAddress: this.localAddress,
        timeoutMs: this.ctx.plan.requestTimeoutMs,
      });
      if (!res.ok) {
        c.unanswered++;
        this.sample(`${method} ${path}: ${res.error}`);
        return res;
      }
      c.byStatus[res.status] = (c.byStatus[res.status] ?? 0) + 1;
      const retryable = res.status === 429 || res.status === 503 || (res.status === 409 && errorCode(res.body) === 'REQUEST_IN_PROGRESS');
      if (!retryable || attempt >= maxRetries || Date.now() > this.ctx.plan.deadlineAt) return res;
      const after = Number(res.headers['retry-after'] ?? 1);
      await new Promise((r) => setTimeout(r, Math.min(2_000, (Number.isFinite(after) ? after : 1) * 1000) * (0.5 + Math.random())));
      if (path === '/orders') c.ordersAttempted++;
    }
  }

  private async placeOrder(token: string, sku: string): Promise<'held' | 'soldOut' | 'other'> {
    const c = this.ctx.counters;
    c.ordersAttempted++;
    const body = JSON.stringify({ promotionId: this.ctx.plan.promotionId, lines: [{ sku, quantity: 1 }] });
    const res = await this.send('POST', '/orders', token, body, randomUUID());
    if (!res.ok) {
      c.errors++;
      return 'other';
    }
    recordMs(this.ctx.histograms.order, res.ms);
    const code = errorCode(res.body);
    if (res.status === 201) {
      c.held++;
      const held = JSON.parse(res.body) as { orderId: string; holdId: string };
      this.ctx.heldOrders.push([held.holdId, this.shopperId]);
      await this.confirm(token, held.orderId, held.holdId);
      return 'held';
    }
    if (res.status === 409 && code === 'SOLD_OUT') {
      c.soldOut++;
      return 'soldOut';
    }
    if (res.status === 503) {
      c.unavailable++;
      c.errors++;
    } else if (res.status >= 500) c.errors++;
    else c.rejected++;
    this.sample(`POST /orders → ${res.status} ${code ?? ''}`);
    return 'other';
  }

  private async confirm(token: string, orderId: string, holdId: string): Promise<void> {
    const c = this.ctx.counters;
    // Confirmation is idempotent per hold, and a hold left unconfirmed keeps its stock until it expires: insist.
    const res = await this.send('POST', `/orders/${encodeURIComponent(orderId)}/confirm`, token, '{}', undefined, 10);
    if (!res.ok) {
      c.errors++;
      return;
    }
    recordMs(this.ctx.histograms.confirm, res.ms);
    const code = errorCode(res.body);
    if (res.status === 200) {
      c.confirmed++;
      this.ctx.confirmedHolds.push([holdId, this.shopperId]);
    } else if (res.status === 402) c.declined++;
    else if (res.status === 409 && code === 'HOLD_EXPIRED') c.holdExpired++;
    else {
      if (res.status >= 500) c.errors++;
      else c.rejected++;
      this.sample(`POST /orders/:id/confirm → ${res.status} ${code ?? ''}`);
    }
  }

  private finish(how: 'finished' | 'failed' | 'turnedAway'): void {
    if (this.phase === 'waiting') this.ctx.counters.waiting--;
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.ctx.counters[how]++;
    this.closeSocket();
    this.ctx.onFinished();
  }

  private closeSocket(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    if (ws.readyState === LeanWsState.OPEN) ws.close(1000);
    else ws.terminate();
  }

  private sample(msg: string): void {
    if (this.ctx.errorSamples.length < 20) this.ctx.errorSamples.push(msg);
  }
}
