import type { QueueStatus, ServerFrame } from '@flashgate/queue-protocol';
import { api } from '../lib/api.js';

/** What the queue page learns, whichever transport it came over. */
export type QueueEvent =
  | Extract<ServerFrame, { type: 'welcome' | 'tick' | 'ticket' | 'admitted' | 'error' }>
  | ({ type: 'status' } & QueueStatus)
  /** `idle`: no connection trouble to show (e.g. the server said the queue is not open yet). */
  | { type: 'connection'; mode: 'connecting' | 'live' | 'reconnecting' | 'polling' | 'idle' };

export interface QueueConnectionOptions {
  promotionId: string;
  getVisitorToken: () => string | null;
  /** The server refused the stored visitor token (expired, forged, place lost): forget it. */
  dropVisitorToken: () => void;
  onEvent: (e: QueueEvent) => void;
  /** Consecutive WebSocket failures before polling takes over (the socket keeps retrying). */
  pollAfterFailures?: number;
  pollIntervalMs?: number;
}

const BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000, 10_000];
/** Server close codes (waiting-room/src/ws/queue-close-codes.ts: 4xxx mirrors the HTTP status). */
const CLOSE = { UNAUTHORIZED: 4401, NOT_FOUND: 4404, NOT_OPEN: 4409, PLACE_LOST: 4410, RATE_LIMITED: 4429 } as const;
const NOT_OPEN_RETRY_MS = 5_000;
const PING_MS = 10_000;
const SILENCE_MS = 25_000;

/**
 * WebSocket first (one tick a second for everyone, same bytes), polling as the fallback when the
 * socket cannot be kept (proxies that strip Upgrade, flaky mobile networks). The socket retries
 * with jittered backoff forever; once it is back, polling stops.
 */
export function connectQueue(opts: QueueConnectionOptions): { close: () => void } {
  const base = `/queue/${encodeURIComponent(opts.promotionId)}`;
  const pollAfter = opts.pollAfterFailures ?? 2;
  let ws: WebSocket | null = null;
  let failures = 0;
  let attempts = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let lastFrameAt = 0;

  const emit = opts.onEvent;

  function openSocket(): void {
    if (closed) return;
    if (typeof WebSocket === 'undefined') {
      startPolling();
      return;
    }
    if (attempts++ === 0) emit({ type: 'connection', mode: 'connecting' });
    else if (failures > 0) emit({ type: 'connection', mode: polling ? 'polling' : 'reconnecting' });
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${base}/ws`;
    let welcomed = false;
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      const visitorToken = opts.getVisitorToken();
      sock.send(JSON.stringify(visitorToken ? { type: 'hello', visitorToken } : { type: 'hello' }));
      lastFrameAt = Date.now();
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (Date.now() - lastFrameAt > SILENCE_MS) sock.close(4000, 'silent');
        else if (sock.readyState === WebSocket.OPEN) sock.send('{"type":"ping"}');
      }, PING_MS);
    };
    sock.onmessage = (m) => {
      lastFrameAt = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(m.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'pong') return;
      if (frame.type === 'welcome') {
        welcomed = true;
        failures = 0;
        stopPolling();
        emit({ type: 'connection', mode: 'live' });
      }
      emit(frame);
    };
    sock.onclose = (ev) => {
      clearInterval(pingTimer);
      if (ws === sock) ws = null;
      if (closed) return;
      // Refusals the server explains with a close code are not network trouble: no polling fallback.
      if (ev.code === CLOSE.NOT_FOUND) {
        closed = true;
        stopPolling();
        return;
      }
      if (ev.code === CLOSE.UNAUTHORIZED || ev.code === CLOSE.PLACE_LOST) {
        opts.dropVisitorToken();
        retryTimer = setTimeout(openSocket, 200);
        return;
      }
      if (ev.code === CLOSE.NOT_OPEN) {
        emit({ type: 'connection', mode: 'idle' });
        retryTimer = setTimeout(openSocket, NOT_OPEN_RETRY_MS);
        return;
      }
      if (ev.code === CLOSE.RATE_LIMITED) failures = Math.max(failures, 3);
      if (!welcomed) failures++;
      else failures = 1;
      if (failures >= pollAfter) startPolling();
      else emit({ type: 'connection', mode: 'reconnecting' });
      const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)] ?? 10_000;
      retryTimer = setTimeout(openSocket, delay * (0.75 + Math.random() * 0.5));
    };
  }

  async function pollOnce(): Promise<void> {
    let token = opts.getVisitorToken();
    if (!token) {
      const joined = await api<Extract<ServerFrame, { type: 'welcome' }>>(`${base}/join`, { method: 'POST', json: {} });
      if (!joined.ok) return reportHttpError(joined.status, joined.error.code, joined.error.message);
      emit({ ...joined.body, type: 'welcome' });
      token = joined.body.visitorToken;
      const adm = joined.body as { admissionToken?: string; expiresAt?: string };
      if (adm.admissionToken && adm.expiresAt) {
        emit({ type: 'admitted', admissionToken: adm.admissionToken, expiresAt: adm.expiresAt, at: Date.now() });
        return;
      }
    }
    const res = await api<Omit<Extract<QueueEvent, { type: 'status' }>, 'type'>>(`${base}/status`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (res.ok) emit({ ...res.body, type: 'status' });
    else if (res.status === 404) reportHttpError(res.status, res.error.code, res.error.message);
    else if (res.status === 401) opts.dropVisitorToken(); // the next poll joins afresh
  }

  function reportHttpError(status: number, code: string, message: string): void {
    if (status >= 400 && status < 500) emit({ type: 'error', code, message });
  }

  function startPolling(): void {
    emit({ type: 'connection', mode: 'polling' });
    if (polling) return;
    polling = true;
    const loop = async () => {
      if (!polling || closed) return;
      await pollOnce().catch(() => undefined);
      if (polling && !closed) pollTimer = setTimeout(loop, opts.pollIntervalMs ?? 3_000);
    };
    void loop();
  }

  function stopPolling(): void {
    polling = false;
    clearTimeout(pollTimer);
  }

  openSocket();
  return {
    close: () => {
      closed = true;
      stopPolling();
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      // Never send `leave` here: closing the page (or a reload) must keep the shopper's place.
      ws?.close(1000, 'bye');
    },
  };
}
