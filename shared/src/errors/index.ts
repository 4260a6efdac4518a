/**
 * One base error for the whole system. `code` is the machine-readable part every client keys on;
 * `status` is the HTTP status the error envelope is sent with. Expected business outcomes
 * (SOLD_OUT, HOLD_EXPIRED…) are returned as values by domain code, not thrown; AppError is for
 * rejecting a request or reporting an infrastructure failure.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: unknown; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

/** A field-level problem, as reported in `error.details` for VALIDATION_FAILED. */
export interface FieldIssue {
  path: string;
  message: string;
}

export function validationError(issues: FieldIssue[], message = 'request is invalid'): AppError {
  return new AppError('VALIDATION_FAILED', message, { status: 400, details: { issues } });
}

/** A dependency (Redis, Postgres, NATS, another service) did not answer in time or at all. */
export function dependencyUnavailable(dependency: string, cause?: unknown): AppError {
  return new AppError('DEPENDENCY_UNAVAILABLE', `${dependency} is unavailable`, {
    status: 503,
    details: { dependency },
    cause,
    headers: { 'Retry-After': '1' },
  });
}

/** The single error envelope every HTTP route answers with. */
export interface ErrorEnvelope {
  error: { code: string; message: string; requestId?: string; details?: unknown };
}

export function toEnvelope(err: AppError, requestId?: string): ErrorEnvelope {
  const body: ErrorEnvelope['error'] = { code: err.code, message: err.message };
  if (requestId) body.requestId = requestId;
  if (err.details !== undefined) body.details = err.details;
  return { error: body };
}

/** Turns zod-style issues into field paths ("products.0.stock"). */
export function issuesFromZod(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}
