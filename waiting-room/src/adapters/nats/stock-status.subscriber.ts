import { natsNames, type StockStatusEvent, stockStatusEventSchema } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Hears every promotion's stock status (core NATS, published by inventory-reservations). Each node
 * listens, so whichever node holds a promotion's admitter lease already knows its stock.
 */
export function subscribeStockStatus(
  nc: NatsConnection,
  subjectPrefix: string,
  onStatus: (event: StockStatusEvent) => void,
  logger: Logger,
): () => void {
  const sub = nc.subscribe(natsNames(subjectPrefix).subjects.stockStatusAll, {
    callback: (err, msg) => {
      if (err) return;
      let raw: unknown;
      try {
        raw = msg.json();
      } catch {
        logger.warn({ subject: msg.subject }, 'stock status is not JSON; ignored');
        return;
      }
      const parsed = stockStatusEventSchema.safeParse(raw);
      if (!parsed.success) {
        logger.warn({ subject: msg.subject }, 'stock status does not match its schema; ignored');
        return;
      }
      onStatus(parsed.data);
    },
  });
  return () => sub.unsubscribe();
}
