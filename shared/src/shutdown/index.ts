import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

/**
 * Graceful shutdown: on SIGTERM/SIGINT run the steps in order (stop accepting → drain → close
 * clients), each awaited, the whole bounded by `timeoutMs`; a second signal or the timeout forces
 * exit so an orchestrator never waits forever.
 */
export function installShutdown(
  steps: ShutdownStep[],
  opts: { logger: Logger; timeoutMs: number; signals?: NodeJS.Signals[]; exit?: (code: number) => void },
): () => Promise<void> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      const timer = setTimeout(() => {
        opts.logger.error({ timeoutMs: opts.timeoutMs }, 'shutdown timed out; forcing exit');
        exit(1);
      }, opts.timeoutMs);
      timer.unref();
      let failed = false;
      for (const step of steps) {
        try {
          await step.run();
          opts.logger.info({ step: step.name }, 'shutdown step done');
        } catch (err) {
          failed = true;
          opts.logger.error({ step: step.name, err }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      opts.logger.info('shutdown complete');
      exit(failed ? 1 : 0);
    })();
    return running;
  };
  for (const signal of opts.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) {
    process.on(signal, () => {
      if (running) {
        opts.logger.warn({ signal }, 'second signal; exiting now');
        exit(1);
      }
      opts.logger.info({ signal }, 'shutting down');
      void shutdown();
    });
  }
  return shutdown;
}
