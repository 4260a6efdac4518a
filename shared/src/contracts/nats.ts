/**
 * Every NATS subject, stream and durable consumer the system uses is declared here and nowhere
 * else. The prefix (NATS_SUBJECT_PREFIX, default "flashgate") lets several installations — or
 * parallel test suites — share one NATS server without hearing each other.
 */
/** `holds` is `hold` for a batch (see holdBatchRequestSchema). */
export type InventoryVerb = 'hold' | 'holds' | 'prepare' | 'confirm' | 'release' | 'stock';

export interface NatsNames {
  subjects: {
    /** JetStream, one message per promotion and version: waiting-room → inventory-reservations. */
    promotionSnapshot: (promotionId: string) => string;
    promotionSnapshotAll: string;
    /** Core NATS fan-out: a promotion's live settings changed (rate, cap, pause); every node reloads. */
    promotionChanged: string;
    /** Core NATS request/reply: order-gateway → inventory-reservations (queue group below). */
    inventoryRequest: (verb: InventoryVerb) => string;
    inventoryRequestAll: string;
    /** Core NATS: a promotion's stock figures changed (throttled); waiting-room stops admitting on sold out. */
    stockStatus: (promotionId: string) => string;
    stockStatusAll: string;
    /** JetStream: confirmed orders, message id = hold id, consumed into Postgres. */
    orderConfirmed: (promotionId: string) => string;
    orderConfirmedAll: string;
    /** Poison confirmed-order messages are republished here after being terminated. */
    orderDeadLetter: string;
  };
  streams: { promotions: string; orders: string; deadLetters: string };
  consumers: { promotionsToInventory: string; ordersToPostgres: string };
  queueGroups: { inventory: string };
}

export function natsNames(prefix: string): NatsNames {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`invalid NATS subject prefix "${prefix}"`);
  const streamBase = prefix.toUpperCase().replace(/-/g, '_');
  return {
    subjects: {
      promotionSnapshot: (id) => `${prefix}.promotions.snapshot.${id}`,
      promotionSnapshotAll: `${prefix}.promotions.snapshot.*`,
      promotionChanged: `${prefix}.promotions.changed`,
      inventoryRequest: (verb) => `${prefix}.inventory.${verb}`,
      inventoryRequestAll: `${prefix}.inventory.*`,
      stockStatus: (id) => `${prefix}.stock.status.${id}`,
      stockStatusAll: `${prefix}.stock.status.*`,
      orderConfirmed: (id) => `${prefix}.orders.confirmed.${id}`,
      orderConfirmedAll: `${prefix}.orders.confirmed.*`,
      orderDeadLetter: `${prefix}.orders.dead`,
    },
    streams: {
      promotions: `${streamBase}_PROMOTIONS`,
      orders: `${streamBase}_ORDERS`,
      deadLetters: `${streamBase}_DEAD_LETTERS`,
    },
    consumers: { promotionsToInventory: 'inventory-promotions', ordersToPostgres: 'orders-to-postgres' },
    queueGroups: { inventory: 'inventory-reservations' },
  };
}
