/**
 * One unmasked, final WebSocket text frame (RFC 6455 §5.2) around an already-serialised payload. A tick
 * goes to every socket of a promotion: framing it once and writing the same bytes to each socket saves
 * the per-socket frame header, cork and two-buffer writev that `ws.send` would do thousands of times a second.
 */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + n);
  out[0] = 0x81; // FIN + opcode 1 (text)
  if (n < 126) out[1] = n;
  else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, header);
  return out;
}
