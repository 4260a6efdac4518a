import { natsNames } from '@flashgate/shared/contracts';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { deadLetterHeader, describeDeadLetter } from './dead-letters.js';

const names = natsNames('fg');
const stored = (body: string, h: Record<string, string> = {}) => {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  return { seq: 7, time: new Date(0), headers: hdrs, data: new TextEncoder().encode(body) };
};

describe('where a dead letter would be replayed', () => {
  it('uses the original subject and message id from its headers', () => {
    const d = describeDeadLetter(
      names,
      stored('x', { [deadLetterHeader.originalSubject]: 'fg.orders.confirmed.p1', [deadLetterHeader.originalMsgId]: 'h1' }),
    );
    expect(d.replay).toEqual({ subject: 'fg.orders.confirmed.p1', msgId: 'h1' });
  });

  it('never publishes outside the orders subjects, falling back to the promotion and hold id in the body', () => {
    for (const subject of ['fg.orders.dead', 'fg.orders.confirmed.*', 'fg.orders.confirmed.a.b', 'other.orders.confirmed.p1']) {
      const d = describeDeadLetter(
        names,
        stored(JSON.stringify({ holdId: 'h2', promotionId: 'p2' }), { [deadLetterHeader.originalSubject]: subject }),
      );
      expect(d.replay, subject).toEqual({ subject: 'fg.orders.confirmed.p2', msgId: 'h2' });
    }
  });

  it('is not replayable when neither headers nor body say under which subject and id', () => {
    expect(describeDeadLetter(names, stored('garbage')).replay).toBeNull();
    expect(describeDeadLetter(names, stored(JSON.stringify({ promotionId: 'p' }))).replay).toBeNull();
    expect(describeDeadLetter(names, stored(JSON.stringify({ holdId: 'h', promotionId: 'a.>' }))).replay).toBeNull();
  });
});
