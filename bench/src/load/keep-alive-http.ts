import { connect, type Socket } from 'node:net';

/**
 * A lean HTTP/1.1 keep-alive connection for load generation: one request in flight at a time, the
 * request written as one string, the response parsed just enough to return status and body
 * (Content-Length or chunked). It exists because the load generator shares the machine with the
 * system under test, and node:http / undici spend several times the CPU per request that this does;
 * every CPU-microsecond the load costs is one the measured services do not get.
 */
export interface LeanResponse {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class KeepAliveConnection {
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: LeanResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly opts: { host: string; port: number; localAddress?: string; timeoutMs: number }) {}

  /** Sends `method path` with the given headers (Host and Content-Length are added) and waits for the answer. */
  request(method: string, path: string, headers: string, body?: string): Promise<LeanResponse> {
    if (this.pending) return Promise.reject(new Error('a request is already in flight on this connection'));
    const length = body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.opts.host}:${this.opts.port}\r\n${headers}${length}\r\n`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`timeout after ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      this.pending = { resolve, reject, timer };
      this.ensureSocket().write(body === undefined ? head : head + body);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private ensureSocket(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect({ host: this.opts.host, port: this.opts.port, localAddress: this.opts.localAddress, noDelay: true });
    this.buffered = Buffer.alloc(0);
    // A replaced socket's late events (its close after a `Connection: close` answer) are not ours to act on.
    socket.on('data', (chunk: Buffer) => this.socket === socket && this.onData(chunk));
    socket.on('error', (err) => this.socket === socket && this.fail(err));
    socket.on('close', () => this.socket === socket && this.fail(new Error('connection closed')));
    this.socket = socket;
    return socket;
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    this.close();
    p.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const parsed = parseResponse(this.buffered);
    if (parsed === undefined) return;
    if (parsed instanceof Error) {
      this.fail(parsed);
      return;
    }
    this.buffered = Buffer.alloc(0);
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    clearTimeout(p.timer);
    if (parsed.close) this.close();
    p.resolve({ status: parsed.status, body: parsed.body });
  }
}

/** A complete response, undefined while more bytes are needed, or an Error for what this client does not speak. */
export function parseResponse(buf: Buffer): { status: number; body: string; close: boolean } | Error | undefined {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = buf.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  if (!head.startsWith('HTTP/1.1 ') || !Number.isInteger(status)) return new Error(`not an HTTP/1.1 response: ${head.slice(0, 40)}`);
  const lower = head.toLowerCase();
  const close = /\r\nconnection: *close/.test(lower);
  const bodyStart = headerEnd + 4;
  const lengthMatch = /\r\ncontent-length: *(\d+)/.exec(lower);
  if (lengthMatch) {
    const end = bodyStart + Number(lengthMatch[1]);
    if (buf.length < end) return undefined;
    return { status, body: buf.toString('utf8', bodyStart, end), close };
  }
  if (/\r\ntransfer-encoding: *chunked/.test(lower)) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) return new Error('bad chunk size');
      const dataEnd = lineEnd + 2 + size;
      if (buf.length < dataEnd + 2) return undefined;
      if (size === 0) return { status, body: Buffer.concat(parts).toString('utf8'), close };
      parts.push(buf.subarray(lineEnd + 2, dataEnd));
      at = dataEnd + 2;
    }
  }
  // No length and no chunking: only bodiless statuses are complete here.
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { status, body: '', close };
  return new Error('response without Content-Length or chunked encoding');
}
