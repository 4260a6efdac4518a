/**
 * Test fixtures for the queue: a promotion directory over an in-memory map of real Promotion
 * objects, an ES256 AdmissionSigner on a locally generated key (jose), and a queue node served on
 * a real port with real Redis, NATS and WebSockets. Nothing here mocks a server.
 */
import type { Server } from 'node:http';
import { connectNats, createRedis } from '@flashgate/shared/clients';
import { ADMISSION_AUDIENCE, ADMISSION_ISSUER } from '@flashgate/shared/contracts';
import { createServiceApp, serveHttp } from '@flashgate/shared/http';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { type Config, loadConfig } from '../config.js';
import type { AdmissionSigner } from '../domain/admission-signer.js';
import type { Promotion, PromotionDirectory } from '../domain/promotion.js';
import { queueRoutes } from '../http/queue.routes.js';
import { createQueueRuntime, type QueueRuntime } from '../queue-runtime.js';

export class MapDirectory implements PromotionDirectory {
  readonly promotions = new Map<string, Promotion>();
  private readonly listeners = new Set<(id: string) => void>();

  put(p: Promotion): Promotion {
    this.promotions.set(p.id, p);
    for (const l of this.listeners) l(p.id);
    return p;
  }

  update(id: string, patch: Partial<Promotion>): void {
    const p = this.promotions.get(id);
    if (!p) throw new Error(`no promotion ${id}`);
    this.put({ ...p, ...patch, version: p.version + 1, updatedAt: new Date() });
  }

  async get(id: string): Promise<Promotion | undefined> {
    return this.promotions.get(id);
  }

  onChange(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** An open promotion (window started a second ago) unless overridden. */
export function makePromotion(overrides: Partial<Promotion> = {}): Promotion {
  const now = Date.now();
  return {
    id: uniqueName('promo'),
    name: 'Test drop',
    cancelled: false,
    paused: false,
    prequeueOpensAt: new Date(now - 60_000),
    windowStart: new Date(now - 1_000),
    windowEnd: new Date(now + 3_600_000),
    admissionRatePerSec: 10,
    maxActiveShoppers: 1_000,
    tokenTtlSeconds: 600,
    graceSeconds: 60,
    products: [{ sku: 'SKU-1', name: 'Sneaker', priceCents: 9_900, stock: 100, perShopperLimit: 2 }],
    version: 1,
    createdAt: new Date(now),
    updatedAt: new Date(now),
    ...overrides,
  };
}

export interface TestSigner extends AdmissionSigner {
  verify(token: string): Promise<Record<string, unknown>>;
}

export async function createTestSigner(): Promise<TestSigner> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = uniqueName('kid');
  await exportJWK(publicKey); // the key is exportable as a JWK, as the real key ring serves it
  return {
    async sign({ shopperId, promotionId, jti, ttlSeconds, now = new Date() }) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + ttlSeconds;
      const token = await new SignJWT({ promotion_id: promotionId })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(ADMISSION_ISSUER)
        .setAudience(ADMISSION_AUDIENCE)
        .setSubject(shopperId)
        .setJti(jti)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: ADMISSION_ISSUER,
        audience: ADMISSION_AUDIENCE,
        algorithms: ['ES256'],
      });
      return payload as Record<string, unknown>;
    },
  };
}

/** A config for one test file: its own Redis key prefix and NATS subject prefix. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const s = testServers();
  return loadConfig({
    REDIS_URL: s.redisUrl,
    NATS_URL: s.natsUrl,
    DATABASE_URL: s.databaseUrl,
    REDIS_KEY_PREFIX: uniqueName('wrq'),
    NATS_SUBJECT_PREFIX: uniqueName('wrq'),
    VISITOR_TOKEN_SECRET: 'test-visitor-secret-0123456789abcdef',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export interface QueueNode {
  config: Config;
  runtime: QueueRuntime;
  redis: Redis;
  nc: NatsConnection;
  url: string;
  server: Server;
  wsUrl: (promotionId: string) => string;
  close: () => Promise<void>;
}

/** A waiting-room queue node on a free port (real HTTP server, Redis, NATS). */
export async function startQueueNode(opts: { config: Config; directory: PromotionDirectory; signer: AdmissionSigner }): Promise<QueueNode> {
  const { config } = opts;
  const logger = createLogger('waiting-room-test', config.LOG_LEVEL);
  const metrics = createMetrics('waiting-room', { defaultMetrics: false });
  const redis = createRedis(config.REDIS_URL, { logger });
  const nc = await connectNats(config.NATS_URL, { logger });
  const runtime = createQueueRuntime({ config, redis, nc, directory: opts.directory, signer: opts.signer, logger, metrics });
  await runtime.start();
  const app = createServiceApp({ logger, metrics, readiness: [], dependencyTimeoutMs: 1_000 });
  app.route('/', queueRoutes(runtime));
  const http = await serveHttp(app, { port: 0, host: '127.0.0.1' });
  runtime.attach(http.server);
  return {
    config,
    runtime,
    redis,
    nc,
    url: http.url,
    server: http.server,
    wsUrl: (id) => `ws://127.0.0.1:${http.port}/queue/${id}/ws`,
    close: async () => {
      await runtime.stop();
      await http.close().catch(() => {});
      await nc.close();
      redis.disconnect();
    },
  };
}

/** Deletes every key under a test's prefix. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

type Frame = { type: string; [k: string]: unknown };

/** A WebSocket client for tests: frames are queued and taken in order with next(type). */
export class TestSocket {
  private readonly frames: Frame[] = [];
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const w of this.waiters) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket, or rejects with the HTTP status and error code when the upgrade is refused. */
  static open(url: string, opts: { origin?: string } = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin: opts.origin });
      const sock = new TestSocket(ws);
      ws.once('open', () => resolve(sock));
      ws.once('error', (err) => reject(err));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          const err = Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
            body: JSON.parse(body || '{}') as { error?: { code?: string } },
          });
          reject(err);
        });
      });
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (of `type`, skipping others of other types only when `type` is given). */
  async next<T extends object = Frame>(type?: string, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => type === undefined || f.type === type);
      if (i >= 0) return this.frames.splice(i, 1)[0] as unknown as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type ?? 'frame'} within ${timeoutMs} ms (have: ${this.frames.map((f) => f.type).join(',')})`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }

  /** Drops the TCP connection without a close handshake, as a lost network would. */
  kill(): void {
    this.ws.terminate();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
