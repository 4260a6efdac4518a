export { freePort } from './free-port.js';
export { findBinary, MissingBinaryError } from './binaries.js';
export { startRedis, type RedisServer } from './redis.js';
export { startNats, type NatsServer } from './nats.js';
export { startPostgres, type PostgresServer } from './postgres.js';
export { ensureServers, type Servers } from './ensure.js';
export type { ManagedProcess } from './process.js';
