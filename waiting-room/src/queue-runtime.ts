import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { ConfigError } from '@flashgate/shared/config';
import type { Logger } from '@flashgate/shared/logger';
import type { ServiceMetrics } from '@flashgate/shared/metrics';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import { subscribeStockStatus } from './adapters/nats/stock-status.subscriber.js';
import { createRedisQueueStore } from './adapters/redis/redis-queue-store.js';
import type { Config } from './config.js';
import type { AdmissionSigner } from './domain/admission-signer.js';
import type { PromotionDirectory } from './domain/promotion.js';
import { QueueEngine } from './domain/queue-engine.js';
import { createQueueMetrics } from './domain/queue-metrics.js';
import { KeyedRateLimiter } from './domain/queue-rate-limit.js';
import { QueueService } from './domain/queue-service.js';
import type { QueueStore } from './domain/queue-store.js';
import { createVisitorTokens } from './domain/queue-visitor-token.js';
import { QueueHub } from './ws/queue-hub.js';
import { attachQueueWebSocket } from './ws/queue-ws-server.js';

export type QueueConfig = Pick<
  Config,
  | 'NODE_ENV'
  | 'REDIS_KEY_PREFIX'
  | 'NATS_SUBJECT_PREFIX'
  | 'VISITOR_TOKEN_SECRET'
  | 'VISITOR_TOKEN_TTL_SECONDS'
  | 'ALLOWED_ORIGINS'
  | 'WS_MAX_CONNECTIONS_PER_IP'
  | 'WS_MAX_PAYLOAD_BYTES'
  | 'WS_HEARTBEAT_MS'
  | 'WS_HELLO_TIMEOUT_MS'
  | 'WS_SOFT_BUFFER_BYTES'
  | 'WS_HARD_BUFFER_BYTES'
  | 'WS_SLOW_CLOSE_MS'
  | 'WS_TICK_FANOUT_PER_SEC'
  | 'JOIN_RATE_PER_IP'
  | 'JOIN_BURST_PER_IP'
  | 'QUEUE_ADMIT_INTERVAL_MS'
  | 'QUEUE_TICK_MS'
  | 'QUEUE_LEASE_TTL_MS'
  | 'QUEUE_SWEEP_MS'
  | 'QUEUE_PRESENCE_MS'
>;

export interface QueueRuntime {
  store: QueueStore;
  service: QueueService;
  engine: QueueEngine;
  hub: QueueHub;
  joinLimiter: KeyedRateLimiter;
  /** Subscribes to queue events and stock status, and starts contending for active promotions. */
  start: () => Promise<void>;
  /** Mounts the queue WebSocket on the service's HTTP server. */
  attach: (server: Server) => void;
  /** Closes sockets, gives admitter leases up, unsubscribes. */
  stop: () => Promise<void>;
}

function visitorSecret(config: QueueConfig, logger: Logger): string {
  if (config.VISITOR_TOKEN_SECRET) return config.VISITOR_TOKEN_SECRET;
  if (config.NODE_ENV === 'production') throw new ConfigError(['VISITOR_TOKEN_SECRET: required in production']);
  logger.warn('VISITOR_TOKEN_SECRET is unset: using a random one, so visitor tokens do not survive a restart nor work across processes');
  return randomBytes(32).toString('base64url');
}

/**
 * Wires the live queue: the Redis store (with a dedicated pub/sub connection), the admitter engine,
 * the per-process socket hub, the join/status service and the WebSocket server.
 */
export function createQueueRuntime(deps: {
  config: QueueConfig;
  redis: Redis;
  nc: NatsConnection;
  directory: PromotionDirectory;
  signer: AdmissionSigner;
  logger: Logger;
  metrics: ServiceMetrics;
}): QueueRuntime {
  const { config, logger } = deps;
  // No ready check on the subscriber: its INFO is refused in subscriber mode, which makes ioredis
  // reconnect and forget the subscription.
  const subscriber = deps.redis.duplicate({
    connectionName: 'waiting-room-queue-sub',
    maxRetriesPerRequest: null,
    enableReadyCheck: false,
  });
  subscriber.on('error', (err) => logger.warn({ err: err.message, dependency: 'redis' }, 'redis subscriber error'));
  const metrics = createQueueMetrics(deps.metrics.registry);
  const store = createRedisQueueStore(deps.redis, { keyPrefix: config.REDIS_KEY_PREFIX, subscriber });
  const engine = new QueueEngine({
    store,
    directory: deps.directory,
    signer: deps.signer,
    logger,
    metrics,
    timing: {
      admitIntervalMs: config.QUEUE_ADMIT_INTERVAL_MS,
      leaseTtlMs: config.QUEUE_LEASE_TTL_MS,
      tickIntervalMs: config.QUEUE_TICK_MS,
      sweepIntervalMs: config.QUEUE_SWEEP_MS,
    },
  });
  const hub = new QueueHub(
    store,
    {
      softBufferBytes: config.WS_SOFT_BUFFER_BYTES,
      hardBufferBytes: config.WS_HARD_BUFFER_BYTES,
      slowCloseMs: config.WS_SLOW_CLOSE_MS,
      presenceIntervalMs: config.QUEUE_PRESENCE_MS,
      finalCloseDelayMs: 2_000,
      staleTickMs: Math.max(10_000, config.QUEUE_TICK_MS * 5),
      tickFanoutPerSec: config.WS_TICK_FANOUT_PER_SEC,
      tickIntervalMs: config.QUEUE_TICK_MS,
    },
    logger,
    metrics,
  );
  const service = new QueueService({
    store,
    directory: deps.directory,
    visitorTokens: createVisitorTokens(visitorSecret(config, logger), config.VISITOR_TOKEN_TTL_SECONDS),
    latestTick: (id) => hub.latestTick(id),
    onActive: (id) => engine.ensure(id),
    metrics,
  });
  const joinLimiter = new KeyedRateLimiter(config.JOIN_RATE_PER_IP, config.JOIN_BURST_PER_IP);
  let ws: ReturnType<typeof attachQueueWebSocket> | undefined;
  let stopStock: (() => void) | undefined;

  return {
    store,
    service,
    engine,
    hub,
    joinLimiter,
    start: async () => {
      await hub.start();
      stopStock = subscribeStockStatus(deps.nc, config.NATS_SUBJECT_PREFIX, (e) => engine.onStockStatus(e), logger);
      await engine.start();
    },
    attach: (server) => {
      ws = attachQueueWebSocket(
        server,
        { service, hub, joinLimiter, logger, metrics },
        {
          allowedOrigins: config.ALLOWED_ORIGINS,
          maxConnectionsPerIp: config.WS_MAX_CONNECTIONS_PER_IP,
          maxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
          heartbeatMs: config.WS_HEARTBEAT_MS,
          helloTimeoutMs: config.WS_HELLO_TIMEOUT_MS,
          maxBadFrames: 5,
        },
      );
    },
    stop: async () => {
      await ws?.close();
      stopStock?.();
      await engine.stop();
      await hub.stop();
      subscriber.disconnect();
    },
  };
}
