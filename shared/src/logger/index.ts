import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** JSON-lines logger; one per process, children per request carry `requestId`. */
export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
