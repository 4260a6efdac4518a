import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientFrameSchema, type ServerFrame } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { QueueMetrics } from '../domain/queue-metrics.js';
import type { KeyedRateLimiter } from '../domain/queue-rate-limit.js';
import type { QueueService } from '../domain/queue-service.js';
import { CloseCode, closeCodeForStatus } from './queue-close-codes.js';
import type { QueueConn, QueueHub } from './queue-hub.js';

export interface QueueWsOptions {
  /** Empty: any origin. Requests without an Origin header (non-browser clients) are always let through. */
  allowedOrigins: string[];
  maxConnectionsPerIp: number;
  maxPayloadBytes: number;
  heartbeatMs: number;
  helloTimeoutMs: number;
  /** Malformed or invalid frames tolerated on one socket before it is closed. */
  maxBadFrames: number;
}

export interface QueueWsDeps {
  service: QueueService;
  hub: QueueHub;
  joinLimiter: KeyedRateLimiter;
  logger: Logger;
  metrics?: QueueMetrics;
}

const PATH = /^\/queue\/([^/]+)\/ws$/;
const PROMOTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface Socket {
  ws: WebSocket;
  /** The TCP socket under `ws` (handed to ws at the upgrade): corked to batch frames into one write. */
  raw: Duplex;
  ip: string;
  promotionId: string;
  conn?: QueueConn;
  joining: boolean;
  badFrames: number;
  alive: boolean;
}

/**
 * The queue WebSocket, on the service's own HTTP server ('upgrade', noServer mode). Connection-level
 * protections (path, origin, per-IP cap) reject the upgrade with an HTTP error envelope before any
 * socket is allocated; frame-level problems get an `error` frame with a precise code.
 */
export function attachQueueWebSocket(
  server: Server,
  deps: QueueWsDeps,
  opts: QueueWsOptions,
): { close: () => Promise<void>; count: () => number } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
  const perIp = new Map<string, number>();
  const sockets = new Set<Socket>();
  const allowed = new Set(opts.allowedOrigins);

  const rejectUpgrade = (socket: Duplex, status: number, code: string, message: string) => {
    deps.metrics?.rejected.inc({ code });
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = PATH.exec(path);
    if (!match) return rejectUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${path}`);
    const promotionId = decodeURIComponentSafe(match[1] as string);
    if (!promotionId || !PROMOTION_ID.test(promotionId)) {
      return rejectUpgrade(socket, 400, 'VALIDATION_FAILED', 'promotion id must be 1-64 characters of A-Z a-z 0-9 _ -');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && allowed.size > 0 && !allowed.has(origin)) {
      return rejectUpgrade(socket, 403, 'ORIGIN_NOT_ALLOWED', `origin ${origin} is not allowed`);
    }
    const ip = req.socket.remoteAddress ?? 'unknown';
    const open = perIp.get(ip) ?? 0;
    if (open >= opts.maxConnectionsPerIp) {
      return rejectUpgrade(socket, 429, 'TOO_MANY_CONNECTIONS', `at most ${opts.maxConnectionsPerIp} queue connections per client address`);
    }
    perIp.set(ip, open + 1);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, ip, promotionId));
  };

  const release = (ip: string) => {
    const n = (perIp.get(ip) ?? 1) - 1;
    if (n <= 0) perIp.delete(ip);
    else perIp.set(ip, n);
  };

  const sendRaw = (s: Socket, frame: ServerFrame) => {
    if (s.conn) deps.hub.sendFrame(s.conn, frame);
    else if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify(frame));
  };

  const fail = (s: Socket, code: string, message: string, closeCode?: number) => {
    deps.metrics?.rejected.inc({ code });
    sendRaw(s, { type: 'error', code, message });
    if (closeCode !== undefined) s.ws.close(closeCode, code);
  };

  const onConnection = (ws: WebSocket, raw: Duplex, ip: string, promotionId: string) => {
    const s: Socket = { ws, raw, ip, promotionId, joining: false, badFrames: 0, alive: true };
    sockets.add(s);
    deps.metrics?.sockets.inc();
    const helloTimer = setTimeout(() => {
      if (!s.conn) fail(s, 'HELLO_TIMEOUT', `no hello within ${opts.helloTimeoutMs} ms`, CloseCode.HELLO_TIMEOUT);
    }, opts.helloTimeoutMs);
    ws.on('pong', () => {
      s.alive = true;
    });
    ws.on('error', (err) => {
      // Oversize frames: ws already closes with 1009; anything else is a broken peer.
      deps.logger.debug({ err: err.message }, 'queue socket error');
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        deps.metrics?.rejected.inc({ code: 'MESSAGE_TOO_LARGE' });
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      sockets.delete(s);
      release(ip);
      deps.metrics?.sockets.dec();
      if (s.conn) deps.hub.remove(s.conn);
    });
    ws.on('message', (data, isBinary) => {
      s.alive = true;
      void onMessage(s, data, isBinary).catch((err) => {
        deps.logger.error({ err, promotionId }, 'queue frame handling failed');
        fail(s, 'UNAVAILABLE', 'the queue is temporarily unavailable; reconnect', CloseCode.TRY_AGAIN_LATER);
      });
    });
  };

  const onMessage = async (s: Socket, data: RawData, isBinary: boolean) => {
    const bad = (code: string, message: string) => {
      s.badFrames += 1;
      fail(s, code, message, s.badFrames > opts.maxBadFrames ? CloseCode.POLICY : undefined);
    };
    if (isBinary) return bad('BINARY_NOT_SUPPORTED', 'frames are JSON text');
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return bad('MALFORMED_JSON', 'frame is not valid JSON');
    }
    const parsed = clientFrameSchema.safeParse(raw);
    if (!parsed.success) {
      const type = (raw as { type?: unknown } | null)?.type;
      const known = type === 'hello' || type === 'leave' || type === 'ping';
      return bad(
        known ? 'INVALID_FRAME' : 'UNKNOWN_FRAME_TYPE',
        known ? `invalid ${String(type)} frame` : 'frame type must be hello, leave or ping',
      );
    }
    const frame = parsed.data;
    if (frame.type === 'ping') return sendRaw(s, { type: 'pong', at: Date.now() });
    if (frame.type === 'leave') {
      if (!s.conn) return fail(s, 'HELLO_REQUIRED', 'send hello first', CloseCode.POLICY);
      await deps.service.leave(s.promotionId, s.conn.shopperId);
      s.conn.admitted = true; // nothing more to send or to keep present
      s.ws.close(CloseCode.NORMAL, 'left');
      return;
    }
    if (s.conn || s.joining) return bad('ALREADY_JOINED', 'hello was already received on this socket');
    if (!deps.joinLimiter.take(s.ip)) {
      return fail(s, 'RATE_LIMITED', 'too many joins from this address; retry shortly', CloseCode.RATE_LIMITED);
    }
    s.joining = true;
    const result = await deps.service.join(s.promotionId, frame.visitorToken);
    s.joining = false;
    if (!result.ok) return fail(s, result.code, result.message, closeCodeForStatus(result.status));
    if (s.ws.readyState !== s.ws.OPEN) return;
    const w = result.welcome;
    const conn: QueueConn = {
      ws: s.ws,
      socket: s.raw,
      promotionId: s.promotionId,
      shopperId: w.shopperId,
      ticket: w.ticket,
      admitted: false,
    };
    s.conn = conn;
    deps.hub.add(conn);
    // welcome and what follows it (the latest tick, or the admission) leave in one write: one syscall, one wakeup of the client.
    s.raw.cork();
    try {
      deps.hub.sendFrame(conn, { type: 'welcome', ...w });
      if (result.admission) {
        conn.admitted = true;
        deps.hub.sendFrame(conn, {
          type: 'admitted',
          admissionToken: result.admission.token,
          expiresAt: result.admission.expiresAt,
          at: result.admission.admittedAt ?? Date.now(),
        });
        return;
      }
      const tick = deps.hub.latestTick(s.promotionId);
      if (tick) deps.hub.sendFrame(conn, tick);
    } finally {
      s.raw.uncork();
    }
  };

  server.on('upgrade', onUpgrade);

  // Heartbeat: a socket that did not answer the previous ping (nor sent anything) is dead.
  const heartbeat = setInterval(() => {
    for (const s of sockets) {
      if (!s.alive) {
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    count: () => sockets.size,
    close: async () => {
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      for (const s of sockets) s.ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };

function decodeURIComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
