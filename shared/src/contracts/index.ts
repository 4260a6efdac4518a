export * from './nats.js';
export * from './admission-claims.js';
export * from './promotion-snapshot.js';
export * from './inventory.js';
export * from './queue-protocol.js';
export * from './promotions-stream.js';
