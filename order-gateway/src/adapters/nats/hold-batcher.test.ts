import { describe, expect, it } from 'vitest';
import { holdBatcher } from './hold-batcher.js';

/** A recording sender: each call is one batch; answers with `item * 10` unless told otherwise. */
function recorder(answer: (items: number[]) => Promise<number[]> = async (items) => items.map((i) => i * 10)) {
  const batches: number[][] = [];
  return {
    batches,
    send: (items: number[]) => {
      batches.push(items);
      return answer(items);
    },
  };
}

describe('holdBatcher', () => {
  it('sends the holds of one event-loop turn as one batch and answers each caller with its own reply', async () => {
    const r = recorder();
    const hold = holdBatcher(r.send, 64);
    const answers = await Promise.all([1, 2, 3].map(hold));
    expect(answers).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });

  it('a lone hold goes out alone, in the same turn, without waiting for company', async () => {
    const r = recorder();
    const hold = holdBatcher(r.send, 64);
    expect(await hold(7)).toBe(70);
    expect(await hold(8)).toBe(80);
    expect(r.batches).toEqual([[7], [8]]);
  });

  it('splits at the batch limit', async () => {
    const r = recorder();
    const hold = holdBatcher(r.send, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map(hold))).toEqual([10, 20, 30, 40, 50]);
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('a failed send fails every hold of that batch, and only that batch', async () => {
    let calls = 0;
    const r = recorder(async (items) => {
      calls++;
      if (calls === 1) throw new Error('inventory timed out');
      return items.map((i) => i * 10);
    });
    const hold = holdBatcher(r.send, 2);
    const results = await Promise.allSettled([1, 2, 3].map(hold));
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('inventory timed out'));
    expect((results[2] as PromiseFulfilledResult<number>).value).toBe(30);
  });

  it('a reply list of the wrong length fails the whole batch rather than mis-assign replies', async () => {
    const r = recorder(async (items) => items.slice(1).map((i) => i * 10));
    const hold = holdBatcher(r.send, 64);
    const results = await Promise.allSettled([1, 2].map(hold));
    expect(results.every((x) => x.status === 'rejected')).toBe(true);
  });
});
