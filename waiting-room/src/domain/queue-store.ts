import type { TickFrame } from '@flashgate/shared/contracts';

/** An admission as stored and re-issued: the same token every time it is asked for. */
export interface StoredAdmission {
  token: string;
  expiresAt: string;
  /** When the admitter admitted the shopper (its clock, epoch ms): the `at` of every `admitted` frame. */
  admittedAt?: number;
}

export type JoinOutcome =
  | { status: 'admitted'; admission: StoredAdmission }
  | { status: 'waiting'; ticket: number; ahead: number }
  | { status: 'prequeue' }
  | { status: 'need_draw' };

/** Where one shopper stands, read for a poll. */
export type Standing =
  | { status: 'admitted'; admission: StoredAdmission }
  | { status: 'waiting'; ticket: number }
  | { status: 'prequeue' }
  | { status: 'absent' };

export interface TickFigures {
  /** Every ticket ≤ head has been admitted or has left. */
  head: number;
  /** Shoppers in line, plus those in the pre-queue. */
  waiting: number;
  lastTicket: number;
  /** Admitted shoppers whose token is still live (counts towards the cap). */
  active: number;
  bucketSize: number;
  /** Tickets that left, per bucket of bucketSize starting right after head. */
  gone: number[];
}

export interface AdmissionCandidate {
  shopperId: string;
  expiresAtMs: number;
  admission: StoredAdmission;
}

/** Events every node hears for every promotion (one publish, fan-out to all nodes). */
export type QueueEvent =
  | { kind: 'tick'; tick: TickFrame /** live admissions (for metrics; not sent to clients) */; active?: number }
  | { kind: 'admitted'; admissions: Array<{ shopperId: string } & StoredAdmission> }
  | { kind: 'drawn'; at: number };

/** The queue's shared state (Redis in production); every multi-key change is atomic. */
export interface QueueStore {
  join(promotionId: string, shopperId: string, opts: { now: number; phase: 'prequeue' | 'open'; drawKey: number }): Promise<JoinOutcome>;
  standing(promotionId: string, shopperId: string, now: number): Promise<Standing>;
  drawPrequeue(promotionId: string): Promise<number>;
  leave(promotionId: string, shopperId: string): Promise<boolean>;
  /** Marks shoppers as present now (only those still holding a place). */
  touch(promotionId: string, shopperIds: string[], now: number): Promise<void>;
  expireUnseen(promotionId: string, cutoffMs: number, limit: number): Promise<string[]>;
  ticketsOf(promotionId: string, shopperIds: string[]): Promise<Array<number | null>>;
  admissionsOf(promotionId: string, shopperIds: string[]): Promise<Array<StoredAdmission | null>>;
  acquireLease(promotionId: string, owner: string, ttlMs: number): Promise<string | null>;
  releaseLease(promotionId: string, lease: string): Promise<void>;
  peekHead(promotionId: string, count: number, now: number): Promise<{ shopperIds: string[]; active: number }>;
  /** 'fenced' when the caller's lease is no longer current. */
  admit(promotionId: string, lease: string, now: number, maxActive: number, candidates: AdmissionCandidate[]): Promise<string[] | 'fenced'>;
  readTick(promotionId: string, now: number, opts: { maxBuckets: number; minBucketSize: number }): Promise<TickFigures>;
  meta(promotionId: string): Promise<{ drawn: boolean; soldOut: boolean }>;
  /** Shoppers ever admitted to the promotion (each once: one stored admission per shopper). */
  admittedTotal(promotionId: string): Promise<number>;
  setSoldOut(promotionId: string): Promise<void>;
  markActive(promotionId: string): Promise<void>;
  forgetActive(promotionId: string): Promise<void>;
  activePromotions(): Promise<string[]>;
  publish(promotionId: string, event: QueueEvent): Promise<void>;
  subscribe(listener: (promotionId: string, event: QueueEvent, raw: string) => void): Promise<() => Promise<void>>;
  /** Re-asserts the event subscription on the server (a no-op when it is in place). */
  resubscribe(): Promise<void>;
}
