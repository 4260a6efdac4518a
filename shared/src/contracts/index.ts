export * from './nats.js';
export * from './admission-claims.js';
export * from './promotion-snapshot.js';
