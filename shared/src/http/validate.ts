import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError, issuesFromZod, validationError } from '../errors/index.js';

/**
 * Reads and validates a JSON body. Malformed JSON, a wrong content type and schema violations each
 * get their own code; schema violations list every bad field.
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'expected Content-Type: application/json', { status: 415 });
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (cause) {
    throw new AppError('MALFORMED_JSON', 'request body is not valid JSON', { status: 400, cause });
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw validationError(issuesFromZod(result.error.issues));
  return result.data;
}

export function parseParams<S extends z.ZodType>(value: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(issuesFromZod(result.error.issues), 'path or query is invalid');
  return result.data;
}
