/**
 * What the parent and its worker processes tell each other over the fork IPC channel. Workers
 * send `stats` every second (counters are cumulative, so a lost or late message costs nothing)
 * and one `final` with their histograms and per-shopper records before exiting.
 */
export interface WorkerPlan {
  workerIndex: number;
  workerCount: number;
  /** Shoppers in the whole run; this worker plays global indexes i with i % workerCount === workerIndex. */
  shoppers: number;
  /** Global indexes below this join in the pre-queue burst, before the window opens. */
  prequeue: number;
  prequeueStartAt: number;
  prequeueSpreadMs: number;
  /** Epoch ms the window opens (arrivals after the pre-queue start then, at arrivalRatePerSec). */
  openAt: number;
  arrivalRatePerSec: number;
  /** Epoch ms after which the worker stops whatever it is doing and reports. */
  deadlineAt: number;
  promotionId: string;
  /** ws://host:port of each waiting-room node; shopper i uses node i % length. */
  waitingRoomUrls: string[];
  gatewayUrls: string[];
  skus: string[];
  /** After admission: place an order (and confirm it) or simply leave. */
  order: boolean;
  /** Hand the admission tokens back to the parent (gateway-abuse needs legitimate tokens). */
  keepTokens: boolean;
  /** Spread connections over 127.x.y.z source addresses (only when the target is loopback). */
  sourceAddresses: boolean;
  connectionsPerAddress: number;
  stalenessSamplesPerSec: number;
  requestTimeoutMs: number;
  maxReconnects: number;
}

export interface WorkerCounters {
  arrived: number;
  connecting: number;
  open: number;
  openPeak: number;
  waiting: number;
  admitted: number;
  finished: number;
  failed: number;
  /** Shoppers still in line when the promotion sold out or closed (an expected ending, not an error). */
  turnedAway: number;
  /** Set at the deadline: shoppers still in line, and admitted shoppers whose order had no final answer yet. */
  inLineAtEnd: number;
  midOrderAtEnd: number;
  /** Admitted before any frame let them compute a position (no time-to-first-position sample). */
  admittedWithoutPosition: number;
  reconnects: number;
  connectErrors: number;
  droppedConnections: number;
  serverErrors: number;
  ordersAttempted: number;
  held: number;
  confirmed: number;
  soldOut: number;
  rejected: number;
  errors: number;
  declined: number;
  holdExpired: number;
  unavailable: number;
  unanswered: number;
  byStatus: Record<string, number>;
}

export interface QueueView {
  waiting: number;
  admittedThrough: number;
  admissionRatePerSec: number;
  at: number;
}

export interface StatsMessage {
  type: 'stats';
  workerIndex: number;
  at: number;
  counters: WorkerCounters;
  queue: QueueView | null;
  rssBytes: number;
  /** p99 event-loop delay of the worker over the last second: high means the load generator itself is saturated. */
  loopLagP99Ms: number;
}

/** What shoppers found, gathered per worker and merged by the parent (the same lists at every level). */
export interface ShopperFindings {
  counters: WorkerCounters;
  /** [ticket, server epoch ms of the admitted frame] per admitted shopper. */
  admissions: Array<[number, number]>;
  /** [holdId, shopperId] per hold the gateway confirmed to this worker. */
  confirmedHolds: Array<[string, string]>;
  /** [holdId, shopperId] per hold placed (whatever happened next). */
  heldOrders: Array<[string, string]>;
  tokens: Array<{ shopperId: string; token: string }>;
  errorSamples: string[];
}

export interface FinalMessage extends ShopperFindings {
  type: 'final';
  workerIndex: number;
  /** Encoded HDR histograms. */
  histograms: Record<HistogramName, string>;
}

export type HistogramName = 'join' | 'firstPosition' | 'staleness' | 'queueWait' | 'order' | 'confirm';
export const HISTOGRAM_NAMES: HistogramName[] = ['join', 'firstPosition', 'staleness', 'queueWait', 'order', 'confirm'];

export type ParentMessage = { type: 'plan'; plan: WorkerPlan } | { type: 'stop' };
export type WorkerMessage = StatsMessage | FinalMessage;

export function emptyCounters(): WorkerCounters {
  return {
    arrived: 0,
    connecting: 0,
    open: 0,
    openPeak: 0,
    waiting: 0,
    admitted: 0,
    finished: 0,
    failed: 0,
    turnedAway: 0,
    inLineAtEnd: 0,
    midOrderAtEnd: 0,
    admittedWithoutPosition: 0,
    reconnects: 0,
    connectErrors: 0,
    droppedConnections: 0,
    serverErrors: 0,
    ordersAttempted: 0,
    held: 0,
    confirmed: 0,
    soldOut: 0,
    rejected: 0,
    errors: 0,
    declined: 0,
    holdExpired: 0,
    unavailable: 0,
    unanswered: 0,
    byStatus: {},
  };
}

/** Sums every field; `openPeak` sums too (each worker's peak; the parent tracks the true peak of the sum). */
export function addCounters(into: WorkerCounters, c: WorkerCounters): WorkerCounters {
  for (const k of Object.keys(c) as Array<keyof WorkerCounters>) {
    if (k === 'byStatus') {
      for (const [s, n] of Object.entries(c.byStatus)) into.byStatus[s] = (into.byStatus[s] ?? 0) + n;
    } else {
      into[k] += c[k];
    }
  }
  return into;
}
