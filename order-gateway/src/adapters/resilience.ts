import {
  BrokenCircuitError,
  BulkheadRejectedError,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleAll,
  timeout,
} from 'cockatiel';
import { AppError, dependencyUnavailable } from '@flashgate/shared/errors';
import type { GatewayMetrics } from '../metrics.js';

export type DependencyName = 'redis' | 'inventory' | 'payment';

/**
 * A dependency call failed (timeout, connection, open breaker, or the dependency said it is
 * unavailable). It is an AppError (503 DEPENDENCY_UNAVAILABLE, Retry-After: 1), so a handler may
 * simply let it propagate to the envelope.
 */
export class DependencyError extends AppError {
  readonly dependency: DependencyName;
  readonly breakerOpen: boolean;
  constructor(dependency: DependencyName, message: string, opts: { cause?: unknown; breakerOpen?: boolean } = {}) {
    const base = dependencyUnavailable(dependency);
    super(base.code, message, { status: base.status, details: base.details, headers: base.headers, cause: opts.cause });
    this.name = 'DependencyError';
    this.dependency = dependency;
    this.breakerOpen = opts.breakerOpen ?? false;
  }
}

export interface DependencyGuard {
  readonly name: DependencyName;
  readonly breaker: CircuitBreakerPolicy;
  /**
   * Runs `fn` under the dependency's circuit breaker (and timeout when configured); failures become
   * DependencyError. `failedResult`: a result that still counts as a failed call for the breaker (a
   * reply that is partly an outage), returned to the caller all the same.
   */
  run<T>(fn: (signal: AbortSignal | undefined) => Promise<T>, opts?: { failedResult?: (result: T) => boolean }): Promise<T>;
}

/** Carries a result that counts as a failure through the breaker, back to the caller. */
class FailedResult<T> extends Error {
  constructor(readonly result: T) {
    super('the dependency answered, and its answer counts as a failure');
  }
}

/**
 * One circuit breaker per dependency (consecutive failures → open for halfOpenMs, then one trial
 * call), wrapped around an aggressive timeout so a hung dependency counts as failing. When the
 * breaker is open, calls fail immediately — the caller answers 503 in microseconds, not after a
 * timeout.
 */
export function dependencyGuard(
  name: DependencyName,
  opts: {
    timeoutMs?: number;
    threshold: number;
    halfOpenMs: number;
    /** Give `fn` an AbortSignal that fires on timeout (costs an AbortController per call; only for callees that use it). */
    abortable?: boolean;
  },
  metrics: GatewayMetrics,
): DependencyGuard {
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: opts.halfOpenMs, breaker: new ConsecutiveBreaker(opts.threshold) });
  metrics.breakerState.set({ dependency: name }, breaker.state);
  breaker.onStateChange((state) => metrics.breakerState.set({ dependency: name }, state));
  const timeoutMs = opts.timeoutMs;
  const limit =
    timeoutMs === undefined || !opts.abortable
      ? undefined
      : timeout(timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  const hist = metrics.dependencyDuration;
  return {
    name,
    breaker,
    async run<T>(fn: (signal: AbortSignal | undefined) => Promise<T>, runOpts?: { failedResult?: (result: T) => boolean }): Promise<T> {
      const started = performance.now();
      const failedResult = runOpts?.failedResult;
      const call = failedResult
        ? async (signal: AbortSignal | undefined) => {
            const result = await fn(signal);
            if (failedResult(result)) throw new FailedResult(result);
            return result;
          }
        : fn;
      try {
        const result = limit
          ? await breaker.execute(() => limit.execute((_ctx, signal) => call(signal)))
          : timeoutMs !== undefined
            ? await breaker.execute(() => withTimer(call(undefined), timeoutMs))
            : await breaker.execute(() => call(undefined));
        hist.observe({ dependency: name, outcome: 'ok' }, (performance.now() - started) / 1000);
        return result;
      } catch (err) {
        if (err instanceof FailedResult) {
          hist.observe({ dependency: name, outcome: 'error' }, (performance.now() - started) / 1000);
          return err.result as T;
        }
        const open = err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError;
        hist.observe({ dependency: name, outcome: open ? 'rejected' : 'error' }, (performance.now() - started) / 1000);
        if (err instanceof DependencyError) throw err;
        if (open) throw new DependencyError(name, `${name} circuit breaker is open`, { cause: err, breakerOpen: true });
        if (err instanceof TaskCancelledError)
          throw new DependencyError(name, `${name} timed out after ${opts.timeoutMs} ms`, { cause: err });
        throw new DependencyError(name, `${name} call failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    },
  };
}

/**
 * The same aggressive timeout as cockatiel's (the caller stops waiting; the call is not cancelled)
 * with one timer and no AbortController — for the hot-path Redis calls, which take no signal.
 */
function withTimer<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TaskCancelledError(`Operation timed out after ${ms}ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export type BulkheadName = 'place' | 'confirm';

export interface Bulkhead {
  run<T>(fn: () => Promise<T>): Promise<T>;
  readonly policy: BulkheadPolicy;
}

/**
 * Separate bulkheads for order placement and the confirm/payment path, so a slow payment provider
 * fills the confirm bulkhead (and its queue), never the slots placement needs.
 */
export function createBulkhead(name: BulkheadName, limit: number, queue: number, metrics: GatewayMetrics): Bulkhead {
  const policy = bulkhead(limit, queue);
  const labels = { bulkhead: name };
  metrics.bulkheads.set(name, () => ({ active: limit - policy.executionSlots, queued: queue - policy.queueSlots }));
  return {
    policy,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await policy.execute(fn);
      } catch (err) {
        if (err instanceof BulkheadRejectedError) {
          metrics.bulkheadRejected.inc(labels);
          throw new AppError('OVERLOADED', `too many ${name} requests in progress; retry shortly`, {
            status: 503,
            details: { bulkhead: name },
            headers: { 'Retry-After': '1' },
            cause: err,
          });
        }
        throw err;
      }
    },
  };
}
