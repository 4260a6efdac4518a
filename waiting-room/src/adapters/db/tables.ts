import type { ColumnType, Generated } from 'kysely';

/** Row shapes of this service's tables; only repositories see them. */
export interface PromotionsTable {
  id: string;
  name: string;
  cancelled: Generated<boolean>;
  prequeue_opens_at: Date;
  window_start: Date;
  window_end: Date;
  admission_rate_per_sec: number;
  max_active_shoppers: number;
  token_ttl_seconds: number;
  grace_seconds: number;
  paused: Generated<boolean>;
  /** Written as a JSON string (pg would turn a JS array into a Postgres array), read back parsed. */
  products: ColumnType<unknown, string, string>;
  version: Generated<number>;
  published_phase: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SigningKeysTable {
  kid: string;
  private_jwk: ColumnType<Record<string, unknown>, string, string>;
  public_jwk: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
  activates_at: Date;
  retires_at: Date | null;
}

export interface WaitingRoomDb {
  promotions: PromotionsTable;
  signing_keys: SigningKeysTable;
}
