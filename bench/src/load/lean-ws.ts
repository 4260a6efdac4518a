import { createHash, randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A lean WebSocket client (RFC 6455) for load generation. The `ws` client opens every connection
 * through node:http (ClientRequest, agent, header objects, an 'upgrade' event), which costs the load
 * generator about as much CPU per join as the server spends; on a shared machine every CPU-ms the
 * load costs is one the system under test does not get. This one writes a fixed upgrade request on
 * `net.connect`, checks the 101 and `Sec-WebSocket-Accept`, then reads and writes frames itself:
 * client frames masked (random key, as the RFC requires), server frames unmasked, fragments
 * reassembled, ping answered with pong, close answered with close. No extensions, no subprotocols.
 */
export interface LeanWsHandlers {
  onOpen(): void;
  /** A complete text or binary message (the bytes as received; valid only during the call). */
  onMessage(data: Buffer, isBinary: boolean): void;
  /** Before the handshake completed: why it failed (status, timeout, bad accept, socket error). */
  onError(err: Error): void;
  /** Always last; `code` from the server's close frame, or 1006 when the connection just ended. */
  onClose(code: number, reason: string): void;
}

/** Parsed once per target URL: the request head minus the key, so each connection writes one string. */
export interface LeanWsTarget {
  host: string;
  port: number;
  head: string;
}

export function leanWsTarget(url: string): LeanWsTarget {
  const u = new URL(url);
  if (u.protocol !== 'ws:') throw new Error(`lean WebSocket client speaks ws:// only, got ${u.protocol}`);
  const port = Number(u.port || 80);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port,
    head: `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: `,
  };
}

export const LeanWsState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/** Key and mask bytes come from one CSPRNG pool, refilled when used up: one syscall per many sockets. */
const pool = Buffer.alloc(16 * 1024);
let poolAt = pool.length;
function randomBytesFromPool(n: number): Buffer {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += n;
  return pool.subarray(poolAt - n, poolAt);
}

export class LeanWebSocket {
  readyState: number = LeanWsState.CONNECTING;
  private readonly socket: Socket;
  private readonly accept: string;
  private pending: Buffer = EMPTY;
  private fragments: Buffer[] = [];
  private fragmentsBinary = false;
  private closeCode = 1006;
  private closeReason = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    target: LeanWsTarget,
    private readonly handlers: LeanWsHandlers,
    private readonly opts: { localAddress?: string; handshakeTimeoutMs: number; maxPayload: number },
  ) {
    const key = randomBytesFromPool(16).toString('base64');
    this.accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    this.socket = connect({ host: target.host, port: target.port, localAddress: opts.localAddress, noDelay: true });
    this.socket.write(`${target.head}${key}\r\n\r\n`);
    this.timer = setTimeout(() => this.fail(new Error(`handshake timed out after ${opts.handshakeTimeoutMs} ms`)), opts.handshakeTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.onSocketClose());
  }

  /** Sends a text message (masked). Ignored unless open, like a closed `ws` socket would refuse it. */
  send(text: string): void {
    if (this.readyState !== LeanWsState.OPEN) return;
    this.socket.write(maskedFrame(0x1, Buffer.from(text)));
  }

  /** Starts the closing handshake; the socket ends once the server answers (or at once if not open). */
  close(code = 1000): void {
    if (this.readyState !== LeanWsState.OPEN) {
      if (this.readyState === LeanWsState.CONNECTING) this.terminate();
      return;
    }
    this.readyState = LeanWsState.CLOSING;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.end(maskedFrame(0x8, payload));
  }

  terminate(): void {
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.readyState === LeanWsState.CONNECTING) {
      this.readyState = LeanWsState.CLOSING;
      this.handlers.onError(err);
    }
    this.socket.destroy();
  }

  private onSocketClose(): void {
    clearTimeout(this.timer);
    if (this.readyState === LeanWsState.CLOSED) return;
    this.readyState = LeanWsState.CLOSED;
    this.handlers.onClose(this.closeCode, this.closeReason);
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.readyState === LeanWsState.CONNECTING) {
      const end = buf.indexOf(HEADER_END);
      if (end < 0) {
        if (buf.length > 8192) {
          this.fail(new Error('handshake response headers too large'));
          return;
        }
        this.pending = buf;
        return;
      }
      const problem = checkHandshake(buf.toString('latin1', 0, end), this.accept);
      if (problem) {
        this.fail(new Error(problem));
        return;
      }
      clearTimeout(this.timer);
      this.timer = undefined;
      this.readyState = LeanWsState.OPEN;
      buf = buf.subarray(end + 4);
      this.handlers.onOpen();
    }
    this.pending = EMPTY;
    let at = 0;
    while (this.readyState !== LeanWsState.CLOSED && !this.socket.destroyed) {
      const frame = readFrame(buf, at, this.opts.maxPayload);
      if (frame === null) break;
      if (typeof frame === 'string') {
        this.protocolError(frame);
        return;
      }
      at = frame.end;
      this.onFrame(frame.fin, frame.opcode, buf.subarray(frame.start, frame.end));
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at)); // a partial frame: keep a copy, not the whole chunk
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0: // continuation
        if (this.fragments.length === 0) {
          this.protocolError('continuation frame without a first fragment');
          return;
        }
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const data = Buffer.concat(this.fragments);
          this.fragments = [];
          this.deliver(data, this.fragmentsBinary);
        }
        return;
      case 0x1:
      case 0x2:
        if (this.fragments.length > 0) {
          this.protocolError('new message inside a fragmented one');
          return;
        }
        if (fin) {
          this.deliver(payload, opcode === 0x2);
          return;
        }
        this.fragments.push(Buffer.from(payload));
        this.fragmentsBinary = opcode === 0x2;
        return;
      case 0x8: {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.closeReason = payload.length > 2 ? payload.toString('utf8', 2) : '';
        if (this.readyState === LeanWsState.OPEN) {
          this.readyState = LeanWsState.CLOSING;
          this.socket.end(maskedFrame(0x8, payload.subarray(0, 2)));
        } else this.socket.end();
        return;
      }
      case 0x9:
        if (this.readyState === LeanWsState.OPEN) this.socket.write(maskedFrame(0xa, payload));
        return;
      case 0xa:
        return;
      default:
        this.protocolError(`unknown opcode ${opcode}`);
    }
  }

  private deliver(data: Buffer, isBinary: boolean): void {
    if (this.readyState === LeanWsState.OPEN) this.handlers.onMessage(data, isBinary);
  }

  private protocolError(why: string): void {
    this.closeCode = 1002;
    this.closeReason = why;
    this.socket.destroy();
  }
}

/** Null when the head is a valid 101 answer to our key; otherwise why not. */
function checkHandshake(head: string, accept: string): string | null {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
  if (!status) return `not an HTTP/1.1 response: ${(lines[0] ?? '').slice(0, 80)}`;
  if (status[1] !== '101') return `Unexpected server response: ${status[1]}`;
  let upgrade = false;
  let connection = false;
  let acceptOk = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'upgrade') upgrade = value.toLowerCase() === 'websocket';
    else if (name === 'connection')
      connection = value
        .toLowerCase()
        .split(/\s*,\s*/)
        .includes('upgrade');
    else if (name === 'sec-websocket-accept') acceptOk = value === accept;
    else if (name === 'sec-websocket-extensions') return 'server chose an extension the client did not offer';
  }
  if (!upgrade || !connection) return '101 without Upgrade: websocket / Connection: Upgrade';
  return acceptOk ? null : 'invalid Sec-WebSocket-Accept header';
}

type Frame = { fin: boolean; opcode: number; start: number; end: number };

/** The frame at `at`: null when incomplete, a string when the bytes break the protocol. */
function readFrame(buf: Buffer, at: number, maxPayload: number): Frame | string | null {
  if (buf.length - at < 2) return null;
  const b0 = buf[at] as number;
  const b1 = buf[at + 1] as number;
  if ((b0 & 0x70) !== 0) return 'reserved bits set (no extension was negotiated)';
  if ((b1 & 0x80) !== 0) return 'server frames must not be masked';
  let length = b1 & 0x7f;
  let start = at + 2;
  if (length === 126) {
    if (buf.length - at < 4) return null;
    length = buf.readUInt16BE(at + 2);
    start = at + 4;
  } else if (length === 127) {
    if (buf.length - at < 10) return null;
    const high = buf.readUInt32BE(at + 2);
    if (high > 0x1fffff) return 'frame length beyond 2^53';
    length = high * 2 ** 32 + buf.readUInt32BE(at + 6);
    start = at + 10;
  }
  const opcode = b0 & 0x0f;
  if (opcode >= 0x8 && (length > 125 || (b0 & 0x80) === 0)) return 'control frames must be final and at most 125 bytes';
  if (length > maxPayload) return `frame of ${length} bytes exceeds the ${maxPayload}-byte limit`;
  if (start + length > buf.length) return null;
  return { fin: (b0 & 0x80) !== 0, opcode, start, end: start + length };
}

/** One masked client frame (FIN set): header, 4-byte mask, payload XOR mask. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  const mask = randomBytesFromPool(4);
  mask.copy(out, headerLength);
  const body = headerLength + 4;
  for (let i = 0; i < n; i++) out[body + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return out;
}
