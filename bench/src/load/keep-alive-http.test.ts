import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeepAliveConnection, parseResponse } from './keep-alive-http.js';

describe('parseResponse', () => {
  it('waits for the whole body, then returns status and body', () => {
    const full = Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\n{"ok":true}');
    expect(parseResponse(full.subarray(0, 30))).toBeUndefined();
    expect(parseResponse(full.subarray(0, full.length - 1))).toBeUndefined();
    expect(parseResponse(full)).toEqual({ status: 201, body: '{"ok":true}', close: false });
  });

  it('reassembles chunked bodies, multi-byte characters split across chunks included', () => {
    const euro = Buffer.from('€');
    const res = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n'),
      euro.subarray(0, 2),
      Buffer.from('\r\n1\r\n'),
      euro.subarray(2),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    expect(parseResponse(res)).toEqual({ status: 200, body: '€', close: true });
  });

  it('refuses what it does not speak', () => {
    expect(parseResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\n'))).toBeInstanceOf(Error);
    expect(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\nbody until close'))).toBeInstanceOf(Error);
    expect(parseResponse(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'))).toEqual({ status: 204, body: '', close: false });
  });
});

describe('KeepAliveConnection against node:http', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<string>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      sockets.add(`${req.socket.remotePort}`);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/slow') return; // never answered: the client's timeout must fire
        if (req.url === '/bye') res.setHeader('connection', 'close');
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization ?? null, body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends requests with headers and bodies over one kept-alive socket', async () => {
    sockets.clear();
    const conn = new KeepAliveConnection({ host: '127.0.0.1', port, timeoutMs: 2_000 });
    const a = await conn.request('POST', '/orders', 'authorization: Bearer t1\r\ncontent-type: application/json\r\n', '{"q":"ü"}');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ method: 'POST', url: '/orders', auth: 'Bearer t1', body: '{"q":"ü"}' });
    const b = await conn.request('GET', '/missing', '');
    expect(b.status).toBe(404);
    expect(sockets.size).toBe(1);
    conn.close();
  });

  it('reconnects after the server closes, and times out a request that gets no answer', async () => {
    const conn = new KeepAliveConnection({ host: '127.0.0.1', port, timeoutMs: 300 });
    expect((await conn.request('GET', '/bye', '')).status).toBe(200);
    expect((await conn.request('GET', '/again', '')).status).toBe(200);
    await expect(conn.request('GET', '/slow', '')).rejects.toThrow(/timeout/);
    expect((await conn.request('GET', '/after-timeout', '')).status).toBe(200);
    conn.close();
  });
});
