import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { AppError, toEnvelope } from '../errors/index.js';
import { checkReadiness, type DependencyCheck } from '../health/index.js';
import { type ServiceMetrics, scrapeMetrics } from '../metrics/index.js';
import { LogThrottle } from './log-throttle.js';

export type AppEnv = { Variables: { requestId: string; logger: Logger } };

export interface ServiceAppOptions {
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: DependencyCheck[];
  dependencyTimeoutMs: number;
  /** Set to false while shutting down so load balancers stop routing here before the listener closes. */
  isAccepting?: () => boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** 503s that mean "shed or retry shortly", not a bug: logged throttled and without a stack. */
const SHED_CODES = new Set(['DEPENDENCY_UNAVAILABLE', 'OVERLOADED']);

/**
 * The Hono app every service starts from: request ids, access logs, route-pattern metrics, health,
 * /metrics and the one error envelope. Services mount their routes on the returned app.
 */
export function createServiceApp(opts: ServiceAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Responses whose 5xx onError has already logged (the access log then stays at debug).
  const loggedByOnError = new WeakSet<object>();
  const throttle = new LogThrottle();

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('logger', opts.logger.child({ requestId }));
    // Set before the handler, the header joins the headers every c.json/c.body response is built
    // with; setting it on a finished response makes Hono (and @hono/node-server) rebuild that
    // response as a full web Response, per request.
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // A handler that returned its own Response object did not get the prepared headers.
    if (c.res.headers.get('x-request-id') !== requestId) c.header('X-Request-Id', requestId);
    const route = c.req.routePath || 'unmatched';
    const status = c.res.status;
    const labels = { method: c.req.method, route, status: String(status) };
    const seconds = (performance.now() - started) / 1000;
    opts.metrics.httpRequests.inc(labels);
    opts.metrics.httpDuration.observe(labels, seconds);
    if (status >= 500 && !loggedByOnError.has(c)) {
      const logger = c.get('logger');
      throttle.run(`${labels.method} ${route} ${status}`, (suppressed) =>
        logger.warn({ ...labels, ms: Math.round(seconds * 1000), ...(suppressed ? { suppressed } : {}) }, 'request failed'),
      );
    } else {
      c.get('logger').debug({ ...labels, ms: Math.round(seconds * 1000) }, 'request');
    }
  });

  app.get('/health/live', (c) => c.json({ status: 'live' }));
  app.get('/health/ready', async (c) => {
    const report = await checkReadiness(opts.readiness, opts.dependencyTimeoutMs);
    const accepting = opts.isAccepting?.() ?? true;
    if (!accepting) return c.json({ ...report, status: 'not_ready', shuttingDown: true }, 503);
    return c.json(report, report.status === 'ready' ? 200 : 503);
  });
  // Under cluster.js: the whole process group, or 503 DEPENDENCY_UNAVAILABLE if the primary does not answer.
  app.get('/metrics', async (c) => {
    const body = await scrapeMetrics(opts.metrics.registry);
    return c.body(body, 200, { 'Content-Type': opts.metrics.registry.contentType });
  });

  app.notFound((c) =>
    c.json(toEnvelope(new AppError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`, { status: 404 }), c.get('requestId')), 404),
  );

  app.onError((err, c) => {
    const requestId = c.get('requestId');
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      if (err.status >= 500) {
        loggedByOnError.add(c);
        const logger = c.get('logger') ?? opts.logger;
        if (err.status === 503 && SHED_CODES.has(err.code)) {
          // Expected under overload or while a dependency is down: a warning without the stack, at most
          // one a second per code and message (a bounded set), with how many were left out.
          const cause = err.cause instanceof Error ? err.cause.message : undefined;
          throttle.run(`${err.code} ${err.message}`, (suppressed) =>
            logger.warn({ code: err.code, ...(cause ? { cause } : {}), ...(suppressed ? { suppressed } : {}) }, err.message),
          );
        } else {
          logger.error({ err, code: err.code }, err.message);
        }
      }
      return c.json(toEnvelope(err, requestId), err.status as 500);
    }
    // Hono's own HTTPException (e.g. body limit) keeps its status but still speaks our envelope.
    const maybeStatus = (err as unknown as { status?: unknown }).status;
    const status = typeof maybeStatus === 'number' ? maybeStatus : 500;
    if (status < 500) {
      const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
      return c.json(toEnvelope(new AppError(code, err.message, { status }), requestId), status as 400);
    }
    loggedByOnError.add(c);
    (c.get('logger') ?? opts.logger).error({ err }, 'unhandled error');
    return c.json(toEnvelope(new AppError('INTERNAL', 'internal error', { status: 500 }), requestId), 500);
  });

  return app;
}
