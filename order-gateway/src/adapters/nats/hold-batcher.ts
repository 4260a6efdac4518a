/**
 * Gathers the holds requested within one turn of the event loop into one batch (at most `max`),
 * sent when the turn ends (setImmediate) or as soon as the batch is full. Under load many orders
 * reach the hold step in the same turn — their Redis replies arrive in one read — so one NATS
 * message each way serves them all; with a single order in flight it is a batch of one, sent
 * without any added wait. Each caller gets its own item's answer; a failed send fails every item
 * of that batch (as that many failed requests would).
 */
export function holdBatcher<Req, Rep>(send: (items: Req[]) => Promise<Rep[]>, max: number): (item: Req) => Promise<Rep> {
  type Waiter = { item: Req; resolve: (r: Rep) => void; reject: (e: unknown) => void };
  let pending: Waiter[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    send(batch.map((w) => w.item)).then(
      (replies) => {
        if (replies.length !== batch.length) {
          const err = new Error(`batch of ${batch.length} answered with ${replies.length} replies`);
          for (const w of batch) w.reject(err);
          return;
        }
        for (let i = 0; i < batch.length; i++) batch[i]?.resolve(replies[i] as Rep);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  };

  return (item) =>
    new Promise<Rep>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (pending.length >= max) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
