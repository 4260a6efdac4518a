import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { textFrame } from './text-frame.js';

// ws's own framing (exported at runtime, not in @types/ws): the reference the hub's pre-framed ticks must match.
const { Sender } = wsModule as unknown as { Sender: { frame: (data: Buffer, options: object) => Buffer[] } };

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 70_000])('is byte-identical to what ws sends for a %i-byte text', (n) => {
    const payload = Buffer.alloc(n, 'a');
    const ws = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
    expect(textFrame(payload).equals(ws)).toBe(true);
  });
});
