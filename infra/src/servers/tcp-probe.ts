import { connect } from 'node:net';

/** Opens a TCP connection, writes `send`, resolves true if the first reply contains `expect`. */
export function tcpProbe(port: number, send: string | undefined, expect: string, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let buf = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('connect', () => {
      if (send) socket.write(send);
    });
    socket.on('data', (d) => {
      buf += d.toString();
      if (buf.includes(expect)) done(true);
    });
  });
}
